"""Drive a MigrationWorkflow on the time-skipping server against a fresh local environment."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cutover.activities.check_activities import CheckActivities
from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.seed import BLUE, GREEN, seed
from cutover.freezes.windows import FreezesConfig
from cutover.leases import HOLDER_MEMO, keeper_id, planned_workloads
from cutover.models import GateDecision, MigrationStatus, Phase
from cutover.notify.config import NotificationsConfig
from cutover.plan.model import Plan, parse_plan
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_reports import LocalReportStore
from cutover.worker import Extras, build_worker
from cutover.workflows.migration import MigrationWorkflow


def make_plan(**overrides: Any) -> Plan:
    data: dict[str, Any] = {
        "name": "shop-to-fargate",
        "source": {"name": BLUE},
        "target": {"name": GREEN},
        "services": [
            {"name": "nightly-invoices", "workload": "cronjob/nightly-invoices", "namespace": "billing"},
            {"name": "ledger-export", "workload": "cronjob/ledger-export", "namespace": "billing"},
            {"name": "email-worker", "workload": "deployment/email-worker", "namespace": "shop"},
            {"name": "checkout", "workload": "deployment/checkout", "namespace": "shop"},
            {"name": "catalog", "workload": "deployment/catalog", "namespace": "shop", "exposure": "exposed"},
        ],
        "non_exposed": {"batch_size": 2, "parallelism": 2},
        "traffic": {"steps": [2, 25, 75, 100], "bake": "30m"},
        "parallel_operation": {"duration": "2h", "health_check_interval": "30m"},
        "gates": {
            "require": ["uat", "traffic-25", "full-cutover"],
            "approvers": ["alice", "bob"],
            "timeout": "4h",
            "on_timeout": "rollback",
        },
        "monitoring": {"window": "1h"},
        # a look every 3 minutes: 60 looks a migration, not 180, keeps the suite quick; the
        # default (1m) runs in test_inconclusive.py
        "analysis": {"interval": "3m"},
    }
    data.update(overrides)
    return parse_plan(data)


class Harness:
    def __init__(
        self,
        env: WorkflowEnvironment,
        local: LocalEnvironment,
        handle: WorkflowHandle[MigrationWorkflow, MigrationStatus],
        task_queue: str,
        plan: Plan | None = None,
    ):
        self.env = env
        self.local = local
        self.handle = handle
        self.task_queue = task_queue
        self.plan = plan or make_plan()

    async def status(self) -> MigrationStatus:
        return await self.handle.query(MigrationWorkflow.status)

    async def until(
        self,
        predicate: Callable[[MigrationStatus], bool],
        step: timedelta = timedelta(minutes=1),
        limit: int = 2000,
    ) -> MigrationStatus:
        """Advance server time in small steps until the status satisfies predicate."""
        for _ in range(limit):
            status = await self.status()
            if predicate(status):
                return status
            await self.env.sleep(step)
        raise AssertionError(f"condition never held; last status step: {status.step}")

    async def at_gate(self, gate: str) -> MigrationStatus:
        return await self.until(lambda s: s.open_gate is not None and s.open_gate.name == gate)

    async def approve(self, gate: str, sender: str = "alice") -> None:
        await self.handle.signal(MigrationWorkflow.approve, GateDecision(gate=gate, sender=sender))

    async def run_approving_all(self) -> MigrationStatus:
        """Approve each gate as it opens until the workflow finishes."""
        while True:
            status = await self.until(lambda s: s.open_gate is not None or s.phase == Phase.DONE)
            if status.phase == Phase.DONE:
                return await self.handle.result()
            assert status.open_gate is not None
            await self.approve(status.open_gate.name)
            await self.until(
                lambda s: s.open_gate is None or s.phase == Phase.DONE, step=timedelta(seconds=1)
            )


@asynccontextmanager
async def migration(
    env: WorkflowEnvironment,
    tmp_path: Path,
    plan: Plan | None = None,
    failures: dict[str, object] | None = None,
    start_signal: tuple[str, Any] | None = None,
    platform: Callable[[LocalEnvironment], tuple[Any, Any, Any]] | None = None,
    checks: ChecksConfig | None = None,
    memo: dict[str, Any] | None = None,
    allowed_signers: Path | None = None,
    notifications: NotificationsConfig | None = None,
    freezes: FreezesConfig | None = None,
) -> AsyncIterator[Harness]:
    """start_signal (name, arg) is delivered with the start: the only way to act before preparation ends.

    platform builds (cluster, router, metrics) from the seeded local environment; default: all local.
    checks: the worker's secrets for the plan's checks (webhooks, databases, credentials).
    memo: the migration's memo, as `cutover start` sets it (started_by).
    allowed_signers: the worker's approvals.allowed_signers (signed decisions); default none.
    notifications: the worker's notifications section (its destinations); default none.
    freezes: the worker's freeze calendar; default none.
    """
    local = seed(tmp_path / "local-env.json", failures)
    signal: dict[str, Any] = (
        {"start_signal": start_signal[0], "start_signal_args": [start_signal[1]]} if start_signal else {}
    )
    queue = f"test-{uuid.uuid4()}"
    cluster, router, metrics = platform(local) if platform else (local, local, local)
    reports = tmp_path / "reports"
    activities = MigrationActivities(cluster, router, metrics, reports, LocalReportStore(reports))
    check_activities = CheckActivities(checks or ChecksConfig(), cluster)
    extras = Extras(
        allowed_signers=allowed_signers,
        notifications=notifications or NotificationsConfig(),
        freezes=freezes or FreezesConfig(),
    )
    async with build_worker(env.client, queue, activities, check_activities, extras):
        handle = await env.client.start_workflow(
            MigrationWorkflow.run,
            plan or make_plan(),
            id=f"migration-{uuid.uuid4()}",
            task_queue=queue,
            memo=memo,
            **signal,
        )
        try:
            yield Harness(env, local, handle, queue, plan)
        finally:
            await end_if_running(env.client, handle, plan or make_plan())


async def end_if_running(client: Client, handle: WorkflowHandle[Any, Any], plan: Plan) -> None:
    """A test that stops mid-migration must not leave it holding its workloads' leases for the next.

    The time-skipping test server does not apply the parent-close policy when a migration is
    terminated, so its keepers and leases are ended here too (tests/integration shows the real
    server ending them).
    """
    if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
        return
    await handle.terminate("test finished")
    keys = [k for env in (plan.source.name, plan.target.name) for k in planned_workloads(plan, env)]
    owned = [keeper_id(handle.id, role) for role in ("source", "target")] + [k.lease_id for k in keys]
    for workflow_id in owned:
        child = client.get_workflow_handle(workflow_id)
        try:
            found = await child.describe()
        except RPCError:
            continue
        holder = await found.memo_value(HOLDER_MEMO, default=handle.id)
        if found.status == WorkflowExecutionStatus.RUNNING and holder == handle.id:
            await child.terminate("test finished")
