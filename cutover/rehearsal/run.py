"""`cutover rehearse`: the whole migration of a plan, on Temporal's time-skipping test server, against
a copy of a local environment, with a worker in this process. Gates are approved as soon as they
open (or one rejected), checks and notifications are simulated, so days of migration take seconds.

Server time moves only while the rehearsal sleeps on it (env.sleep), in steps of at most STEP: between
steps it reads the status, prints the new timeline lines and answers an open gate, so a gate is
answered within a step of opening, long before it could time out.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.durations import format_duration
from cutover.models import Control, GateDecision, MigrationStatus, OpenGate, Phase
from cutover.plan.model import Plan
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_reports import LocalReportStore
from cutover.rehearsal.checks import SimulatedChecks
from cutover.rehearsal.failures import Injected
from cutover.rehearsal.notifications import NotSent, start_recorder
from cutover.rehearsal.server import start_test_server
from cutover.temporal.start_options import migration_start_options
from cutover.worker import Extras, build_worker
from cutover.workflows.migration import MigrationWorkflow

REHEARSAL = "rehearsal"  # who decides gates and aborts when the plan names no approver
STEP = timedelta(minutes=2)  # the most server time moves between two looks at the status
MAX_SIMULATED = timedelta(days=60)  # a migration still running after this is reported, not waited on
CONFIG_KINDS = ("/configmap/", "/secret/")

Echo = Callable[[str], None]


class RehearsalError(Exception):
    """The rehearsal cannot run as asked (the message is one line)."""


@dataclass
class Rehearsal:
    """How it went: the final status, the review's text, the outcome asked for, and the clocks."""

    status: MigrationStatus
    review: str
    expected: str
    simulated: timedelta
    wall_seconds: float
    not_sent: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    aborted: str = ""
    stopped: str = ""

    @property
    def as_asked(self) -> bool:
        return not self.stopped and self.status.outcome.value == self.expected


def rehearsal_plan(plan: Plan) -> Plan:
    """The plan as rehearsed: decisions by name (no one signs in a rehearsal)."""
    if plan.gates.verify == "name":
        return plan
    return plan.model_copy(update={"gates": plan.gates.model_copy(update={"verify": "name"})})


def rehearsal_state(plan: Plan, state: dict[str, Any], injected: Injected) -> dict[str, Any]:
    """A copy of `state` for the plan: its source is blue; a target the state lacks gets blue's
    configuration (as `local init` does); the failures asked for, and no others."""
    clusters = state["clusters"]
    source, target = plan.source.name, plan.target.name
    if source not in clusters:
        raise RehearsalError(
            f"the local environment has no {source!r} (the plan's source); "
            f"it has: {', '.join(sorted(clusters))}"
        )
    copied = {**state, "blue": source, "failures": dict(injected.failures)}
    if target not in clusters:
        config = {k: v for k, v in clusters[source].items() if any(kind in k for kind in CONFIG_KINDS)}
        copied["clusters"] = {**clusters, target: config}
    return copied


def approvals_needed(gate: OpenGate) -> list[str]:
    """Who approves next: approvers who have not yet, as many as the gate still needs."""
    left = max(gate.needed - len(gate.approved_by), 1)
    people = [p for p in gate.approvers if p not in gate.approved_by] or [REHEARSAL]
    return people[:left]


class Driver:
    """Moves server time and answers the migration, printing its timeline as it grows."""

    def __init__(
        self, env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], injected: Injected, echo: Echo
    ):
        self.env, self.handle, self.injected, self.echo = env, handle, injected, echo
        self.seen = 0
        self.day: date | None = None
        self.answered: set[tuple[str, datetime, int]] = set()
        self.aborted = ""  # why the rehearsal aborted the migration (a pause: a person's call, for real)
        self.stopped = ""  # why the rehearsal ended it without an outcome

    async def status(self) -> MigrationStatus:
        status: MigrationStatus = await self.handle.query(MigrationWorkflow.status)
        for event in status.events_since(self.seen):
            if event.time.date() != self.day:
                self.day = event.time.date()
                self.echo(f"  -- {self.day:%Y-%m-%d} (server time)")
            self.echo(event.line())
        self.seen = status.events_recorded
        return status

    async def run(self, started: datetime) -> MigrationStatus:
        while True:
            status = await self.status()
            if status.phase == Phase.DONE:
                return status
            self.stopped = self.stopping(status, await self.env.get_current_time() - started)
            if self.stopped:
                await self.handle.terminate(f"rehearsal {self.stopped}")
                return status
            if not await self.answer(status):
                await self.env.sleep(STEP)

    def stopping(self, status: MigrationStatus, elapsed: timedelta) -> str:
        if status.stuck_undo and self.aborted:
            return f"stopped: the rollback is stuck ({status.stuck_undo})"
        if elapsed > MAX_SIMULATED:
            return f"stopped: still running after {format_duration(MAX_SIMULATED)} of migration"
        return ""

    async def answer(self, status: MigrationStatus) -> bool:
        """Abort a pause or a stuck undo (once); approve, or reject, an open gate. True if it sent one."""
        if status.paused or status.stuck_undo:
            if self.aborted:
                return False
            why = f"undo stuck: {status.stuck_undo}" if status.stuck_undo else f"paused at {status.step}"
            self.aborted = f"the migration {why}; the rehearsal aborted it (a person decides, for real)"
            self.echo(f"  rehearsal: {self.aborted}")
            abort = Control(sender=REHEARSAL, reason=f"rehearsal: {why}")
            await self.handle.signal(MigrationWorkflow.abort, abort)
            return True
        gate = status.open_gate
        if gate is None or (gate.name, gate.opened_at, len(gate.approved_by)) in self.answered:
            return False
        self.answered.add((gate.name, gate.opened_at, len(gate.approved_by)))
        if gate.name == self.injected.reject_at:
            reject = GateDecision(gate=gate.name, sender=approvals_needed(gate)[0], comment="--reject-at")
            await self.handle.signal(MigrationWorkflow.reject, reject)
            return True
        for person in approvals_needed(gate):
            approve = GateDecision(gate=gate.name, sender=person, comment="approved by the rehearsal")
            await self.handle.signal(MigrationWorkflow.approve, approve)
        return True


async def rehearse(
    plan: Plan, state: dict[str, Any], injected: Injected, workdir: Path, echo: Echo
) -> Rehearsal:
    """Run the plan against a copy of `state` in `workdir`, where the copy, review and journal stay."""
    wall = time.monotonic()
    local = LocalEnvironment(workdir / "local-env.json")
    local.create(rehearsal_state(plan, state, injected))
    local.freeze_clock(datetime.now(UTC).replace(microsecond=0))
    reports = workdir / "reports"
    plan = rehearsal_plan(plan)
    recorder: NotSent = await start_recorder(echo)
    try:
        env = await start_test_server()
        try:
            status, simulated, driver = await _run(env, plan, injected, local, reports, recorder, echo)
        finally:
            await env.shutdown()
    finally:
        await recorder.stop()
    review = (
        Path(status.report_path).read_text()
        if status.report_path and Path(status.report_path).is_file()
        else ""
    )
    return Rehearsal(
        status=status,
        review=review,
        expected=injected.expected_outcome(plan),
        simulated=simulated,
        wall_seconds=time.monotonic() - wall,
        not_sent=recorder.held,
        aborted=driver.aborted,
        stopped=driver.stopped,
    )


async def _run(
    env: WorkflowEnvironment,
    plan: Plan,
    injected: Injected,
    local: LocalEnvironment,
    reports: Path,
    recorder: NotSent,
    echo: Echo,
) -> tuple[MigrationStatus, timedelta, Driver]:
    """The migration on `env` with an in-process worker, driven to its end."""
    activities = MigrationActivities(local, local, local, reports, LocalReportStore(reports))
    checks = SimulatedChecks(local, injected.failing_check)
    extras = Extras(notifications=recorder.config(plan))
    queue = f"rehearsal-{uuid.uuid4().hex[:8]}"
    async with build_worker(env.client, queue, activities, checks, extras):
        started = await env.get_current_time()
        workflow_id = f"rehearsal-{plan.name}-{uuid.uuid4().hex[:6]}"
        await env.client.start_workflow(
            MigrationWorkflow.run,
            plan,
            id=workflow_id,
            task_queue=queue,
            **migration_start_options(plan),
        )
        driver = Driver(env, env.client.get_workflow_handle(workflow_id), injected, echo)
        status = await driver.run(started)
        return status, await env.get_current_time() - started, driver


def outcome_line(result: Rehearsal) -> str:
    status = result.status
    reason = f" — {status.outcome_reason}" if status.outcome_reason else ""
    verdict = "as asked" if result.as_asked else f"NOT as asked: expected {result.expected}"
    return f"outcome: {status.outcome.value}{reason} ({verdict})"
