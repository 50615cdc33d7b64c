"""Worker process: registers the migration workflows and activities on the task queue."""

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from cutover.activities.approval_activities import ApprovalActivities
from cutover.activities.check_activities import CheckActivities
from cutover.activities.freeze_activities import FreezeActivities
from cutover.activities.lease_activities import LeaseActivities
from cutover.activities.migration_activities import MigrationActivities
from cutover.activities.notify_activities import NotifyActivities
from cutover.activities.stale_leases import StaleLeaseActivities
from cutover.freezes.windows import FreezesConfig
from cutover.health import HEALTH_PORT_ENV, Readiness, serve_health
from cutover.logs import configure_logging, core_logging, get_logger
from cutover.notify.config import NotificationsConfig
from cutover.notify.ledger import FileLedger
from cutover.notify.render import check_templates
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.local import LocalEnvironment
from cutover.platform.wiring import (
    PlatformConfigError,
    build_capacity,
    build_platform,
    build_report_store,
    build_uat_router,
    load_platform_config,
)
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalConfigError, TemporalSettings, local_state_path, report_dir
from cutover.temporal.tracing import flush_traces
from cutover.worker_lifecycle import keep_serving, stop_on_signals
from cutover.workflows.analysis_group import AnalysisGroupWorkflow
from cutover.workflows.continuous_checks import ContinuousChecksWorkflow
from cutover.workflows.freeze import FreezeWorkflow
from cutover.workflows.leases import MigrationLeasesWorkflow, WorkloadLeaseWorkflow
from cutover.workflows.metrics import GATE_OPEN_BUCKETS, GATE_OPEN_SECONDS
from cutover.workflows.migration import MigrationWorkflow
from cutover.workflows.service_migration import ServiceMigrationWorkflow

N = TypeVar("N", int, float)
WORKFLOWS = [
    MigrationWorkflow,
    ServiceMigrationWorkflow,
    AnalysisGroupWorkflow,
    ContinuousChecksWorkflow,
    MigrationLeasesWorkflow,
    WorkloadLeaseWorkflow,
    FreezeWorkflow,
]
ACTIVITY_SLOTS = 100
NOTIFICATIONS_SENT = "notifications-sent"  # the ledger's folder, in the worker's report folder
HEARTBEAT_THROTTLE = timedelta(milliseconds=500)
# A workflow task waiting for a worker that died goes back to the shared queue after this
# (the SDK's default is 10 s): the next worker takes over within seconds.
STICKY_TIMEOUT = timedelta(seconds=2)
DEFAULT_SHUTDOWN_GRACE = timedelta(seconds=30)  # CUTOVER_SHUTDOWN_GRACE; under the pod's termination grace


@dataclass(frozen=True)
class Extras:
    """What a worker keeps besides its platform: who may sign decisions, where notifications go, and
    the freeze calendar (each off by default: no signers, no destinations, no windows)."""

    allowed_signers: Path | None = None
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)
    freezes: FreezesConfig = field(default_factory=FreezesConfig)


def configured_activities() -> tuple[MigrationActivities, CheckActivities, Extras]:
    """Activities over the platform the worker's config names (local for every role by default), the
    checks with the secrets it keeps for them, and the rest of its config."""
    config = load_platform_config(os.environ.get("CUTOVER_PLATFORM_CONFIG"))
    if config.notifications.templates:
        check_templates(Path(config.notifications.templates))
    signers = Path(config.approvals.allowed_signers) if config.approvals else None
    cluster, router, metrics = build_platform(config, LocalEnvironment(local_state_path()))
    activities = MigrationActivities(
        cluster,
        router,
        metrics,
        report_dir(),
        build_report_store(config, report_dir()),
        capacity=build_capacity(config),
        uat=build_uat_router(config, cluster),
    )
    extras = Extras(signers, config.notifications, config.freezes)
    return activities, CheckActivities(config.checks, cluster), extras


def build_worker(
    client: Client,
    task_queue: str,
    activities: MigrationActivities,
    checks: CheckActivities | None = None,
    extras: Extras | None = None,
    graceful_shutdown: timedelta = timedelta(),
) -> Worker:
    """The client must use cutover.temporal.payloads.DATA_CONVERTER: it is what makes every input readable.

    Every activity is async (cutover.activities.running): no activity slot holds a thread, and the
    adapters' blocking calls share a bounded pool. Heartbeats reach the server at least every
    HEARTBEAT_THROTTLE, so a cancellation (abort) reaches an activity within about that. Notifications
    sent are marked in the report folder (NOTIFICATIONS_SENT): workers sharing it never post twice.
    """
    extras = extras or Extras()
    ledger = FileLedger(activities.report_dir / NOTIFICATIONS_SENT)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            *activities.all(),
            (checks or CheckActivities(ChecksConfig(), activities.cluster)).run_check,
            LeaseActivities(client).await_leases,
            LeaseActivities(client).await_released,
            StaleLeaseActivities(client).reclaim_stale_lease,
            ApprovalActivities(extras.allowed_signers).verify_decision_signature,
            NotifyActivities(extras.notifications, ledger, client.namespace).notify,
            FreezeActivities(client, extras.freezes).freeze_state,
        ],
        max_concurrent_activities=ACTIVITY_SLOTS,
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        default_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
        graceful_shutdown_timeout=graceful_shutdown,  # running activities' time to finish on SIGTERM
    )


def metrics_runtime(port: int | None) -> Runtime | None:
    """A runtime whose metrics Prometheus can scrape: the SDK's (task latencies, failures, slots) and the
    migrations' own (`cutover_*`, cutover.workflows.metrics), gate times in buckets of minutes to days."""
    if port is None:
        return None
    prometheus = PrometheusConfig(
        bind_address=f"0.0.0.0:{port}", histogram_bucket_overrides={GATE_OPEN_SECONDS: GATE_OPEN_BUCKETS}
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus, logging=core_logging()))


@dataclass(frozen=True)
class RunOptions:
    """The worker process's own settings (flags, else CUTOVER_* variables); each port off unless given."""

    metrics_port: int | None = None
    health_port: int | None = None
    shutdown_grace: timedelta = DEFAULT_SHUTDOWN_GRACE


async def run(settings: TemporalSettings, options: RunOptions) -> None:
    """Serve until SIGTERM / SIGINT: wait for Temporal (retrying), poll, start again if the worker fails."""
    activities, checks, extras = configured_activities()
    log = get_logger(task_queue=settings.task_queue, address=settings.address, namespace=settings.namespace)
    stop = stop_on_signals()
    readiness = Readiness()
    health = await serve_health(readiness, options.health_port) if options.health_port else None
    runtime = metrics_runtime(options.metrics_port) or Runtime(
        telemetry=TelemetryConfig(logging=core_logging())
    )
    log.info("worker starting", local_state=str(local_state_path()), health_port=options.health_port)
    grace = options.shutdown_grace
    try:
        await keep_serving(
            lambda: connect(settings, runtime),
            lambda client: build_worker(client, settings.task_queue, activities, checks, extras, grace),
            stop,
            readiness,
            log,
        )
    finally:
        readiness.set_not_ready("stopped")
        if health is not None:
            await health.cleanup()
    log.info("worker stopped")
    flush_traces()  # the last spans, however the process then exits


def main() -> None:
    """Run the worker, then leave without interpreter finalisation (as cutover.cli.main does): the SDK's
    native threads can crash a finalising interpreter (PyGILState_Release, exit 134)."""
    parser = argparse.ArgumentParser(description="cutover worker")
    parser.add_argument("--address", help="Temporal address (env TEMPORAL_ADDRESS, else the profile's)")
    parser.add_argument("--namespace", help="Temporal namespace (env TEMPORAL_NAMESPACE, else the profile's)")
    parser.add_argument("--profile", help="profile in the Temporal config file (env TEMPORAL_PROFILE)")
    parser.add_argument("--config-file", help="Temporal client config TOML (env TEMPORAL_CONFIG_FILE)")
    parser.add_argument("--task-queue", help="task queue (env CUTOVER_TASK_QUEUE, default cutover)")
    parser.add_argument("--log-format", choices=["json", "console"], default="json")
    parser.add_argument(
        "--metrics-port", type=int, help="serve Prometheus metrics on this port (env CUTOVER_METRICS_PORT)"
    )
    parser.add_argument(
        "--health-port", type=int, help=f"serve /livez and /readyz on this port (env {HEALTH_PORT_ENV})"
    )
    parser.add_argument(
        "--shutdown-grace",
        type=float,
        help="seconds running activities get on SIGTERM (env CUTOVER_SHUTDOWN_GRACE, default 30)",
    )
    args = parser.parse_args()
    configure_logging(json_output=args.log_format == "json")
    code = 0
    try:
        settings = TemporalSettings.from_env(
            address=args.address,
            namespace=args.namespace,
            task_queue=args.task_queue,
            profile=args.profile,
            config_file=args.config_file,
        )
        grace = _number(args.shutdown_grace, "CUTOVER_SHUTDOWN_GRACE", float)
        options = RunOptions(
            metrics_port=_number(args.metrics_port, "CUTOVER_METRICS_PORT", int),
            health_port=_number(args.health_port, HEALTH_PORT_ENV, int),
            shutdown_grace=DEFAULT_SHUTDOWN_GRACE if grace is None else timedelta(seconds=grace),
        )
        asyncio.run(run(settings, options))
    except (TemporalConfigError, PlatformConfigError) as error:
        get_logger().error(f"error: {error}")  # the CLI's one line, as JSON
        code = 1
    except Exception:  # still one JSON line (with the traceback in it), and still no finalisation
        get_logger().exception("worker crashed")
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _number(flag: N | None, env: str, kind: Callable[[str], N]) -> N | None:
    """The flag, else the variable; a variable that is not a number is refused with its name."""
    if flag is not None:
        return flag
    text = os.environ.get(env, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise PlatformConfigError(f"{env}={text!r} is not a number") from None


if __name__ == "__main__":
    main()
