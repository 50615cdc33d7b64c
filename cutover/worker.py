"""Worker process: registers the migration workflows and activities on the task queue."""

import argparse
import asyncio
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

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
from cutover.logs import configure_logging, get_logger
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
from cutover.temporal.client import TemporalUnreachable, connect
from cutover.temporal.settings import TemporalSettings, local_state_path, report_dir
from cutover.workflows.analysis_group import AnalysisGroupWorkflow
from cutover.workflows.continuous_checks import ContinuousChecksWorkflow
from cutover.workflows.freeze import FreezeWorkflow
from cutover.workflows.leases import MigrationLeasesWorkflow, WorkloadLeaseWorkflow
from cutover.workflows.migration import MigrationWorkflow
from cutover.workflows.service_migration import ServiceMigrationWorkflow

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
    )


def metrics_runtime(port: int | None) -> Runtime | None:
    """A runtime whose SDK metrics (task latencies, failures, slots) Prometheus can scrape."""
    if port is None:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"0.0.0.0:{port}")))


async def run(settings: TemporalSettings, metrics_port: int | None) -> None:
    activities, checks, extras = configured_activities()
    client = await connect(settings, metrics_runtime(metrics_port))
    worker = build_worker(client, settings.task_queue, activities, checks, extras)
    log = get_logger(task_queue=settings.task_queue, address=settings.address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        log.info("worker started", local_state=str(local_state_path()))
        await stop.wait()
    log.info("worker stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description="cutover worker")
    parser.add_argument("--address", help="Temporal address (env TEMPORAL_ADDRESS)")
    parser.add_argument("--namespace", help="Temporal namespace (env TEMPORAL_NAMESPACE)")
    parser.add_argument("--task-queue", help="task queue (env CUTOVER_TASK_QUEUE)")
    parser.add_argument("--log-format", choices=["json", "console"], default="json")
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics on this port (env CUTOVER_METRICS_PORT)",
    )
    args = parser.parse_args()
    configure_logging(json_output=args.log_format == "json")
    logging.basicConfig(level=logging.WARNING)
    settings = TemporalSettings.from_env(
        address=args.address, namespace=args.namespace, task_queue=args.task_queue
    )
    try:
        port = args.metrics_port or (
            int(os.environ["CUTOVER_METRICS_PORT"]) if os.environ.get("CUTOVER_METRICS_PORT") else None
        )
        asyncio.run(run(settings, port))
    except (TemporalUnreachable, PlatformConfigError) as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
