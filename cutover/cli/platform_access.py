"""The cluster, metrics and report store the worker would use, built on the operator's machine: for
checks before anything runs, and to read what a migration stored."""

import os
from collections.abc import Callable
from typing import TypeVar

import click

from cutover.cli.errors import CliError, OperationFailed
from cutover.platform.errors import PlatformError
from cutover.platform.interfaces import Cluster, MetricsSource, ReportStore
from cutover.platform.local import LocalEnvironment
from cutover.platform.wiring import (
    PlatformConfigError,
    build_platform,
    build_report_store,
    load_platform_config,
)
from cutover.temporal.settings import local_state_path, report_dir

T = TypeVar("T")

platform_config_option = click.option(
    "--platform-config",
    default=lambda: os.environ.get("CUTOVER_PLATFORM_CONFIG"),
    help="Worker platform config (default: $CUTOVER_PLATFORM_CONFIG, else the local environment)",
)


def configured_cluster(platform_config: str | None) -> Cluster:
    return configured_platform(platform_config)[0]


def configured_platform(platform_config: str | None) -> tuple[Cluster, MetricsSource]:
    """The worker's cluster and metrics source (its router acts only once a migration runs)."""
    try:
        config = load_platform_config(platform_config)
        local = LocalEnvironment(local_state_path())
        if config.cluster.kind == "local" and not local.path.exists():
            raise CliError(
                f"no platform config and no local environment at {local.path}: pass --platform-config "
                "(or set CUTOVER_PLATFORM_CONFIG), or name a local environment with CUTOVER_LOCAL_STATE "
                "(the demo's: CUTOVER_LOCAL_STATE=.cutover/demo/local-env.json), or build one from your "
                "plan with `cutover local init PLAN`"
            )
        cluster, _, metrics = build_platform(config, local)
        return cluster, metrics
    except PlatformConfigError as error:
        raise CliError(str(error)) from None
    except PlatformError as error:
        raise OperationFailed(f"cluster access: {error}") from None


def configured_report_store(platform_config: str | None) -> ReportStore:
    """The worker's report store: S3 (`reviews:`), else the local folder (CUTOVER_REPORT_DIR)."""
    try:
        return build_report_store(load_platform_config(platform_config), report_dir())
    except PlatformConfigError as error:
        raise CliError(str(error)) from None


def from_store(read: Callable[[], T]) -> T:
    """A read from the report store, or one `error:` line saying why it failed."""
    try:
        return read()
    except (PlatformError, OSError) as error:
        raise OperationFailed(f"report store: {error}") from None
