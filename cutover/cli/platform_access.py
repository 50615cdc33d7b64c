"""The cluster and metrics the worker would use, built on the operator's machine for checks before
anything runs."""

import os

import click

from cutover.cli.errors import CliError, OperationFailed
from cutover.platform.errors import PlatformError
from cutover.platform.interfaces import Cluster, MetricsSource
from cutover.platform.local import LocalEnvironment
from cutover.platform.wiring import PlatformConfigError, build_platform, load_platform_config
from cutover.temporal.settings import local_state_path

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
                "(or set CUTOVER_PLATFORM_CONFIG), or run `cutover demo` first"
            )
        cluster, _, metrics = build_platform(config, local)
        return cluster, metrics
    except PlatformConfigError as error:
        raise CliError(str(error)) from None
    except PlatformError as error:
        raise OperationFailed(f"cluster access: {error}") from None
