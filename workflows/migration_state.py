"""What every part of a migration's workflow shares: its state and the few words its lines use.

MigrationWorkflow is assembled from one class per job, each in its own module and each building on
the one before (as Argo Rollouts splits its rollout controller by job): this state, the journal,
gates/pause/abort, runs and continue-as-new, traffic steps, rollback, the phase sequence, and the
handlers. Only the last is the workflow definition.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.checks.callback import WebhookCallback
    from cutover.durations import format_duration
    from cutover.models import (
        Control,
        Event,
        GateDecision,
        Inventory,
        MigrationStatus,
        ServiceRef,
        WeightChange,
        Workload,
    )
    from cutover.notify.events import NotificationKind
    from cutover.plan.model import Plan, RetireMode
    from cutover.workflows.analysis_group import AnalysisGroupWorkflow, GroupReport
    from cutover.workflows.calls import Stop, call_unless, until_stopped
    from cutover.workflows.carry import MigrationCarry, UndoSet
    from cutover.workflows.metrics import MigrationMetrics
    from cutover.workflows.options import CHILD_TASK_TIMEOUT
    from cutover.workflows.service_migration import ServiceMigrationInput, ServiceMigrationWorkflow
    from cutover.workflows.summaries import service_summary
    from cutover.workflows.v05.migration import MigrationV05

SYSTEM = "cutover"
NAMES_SHOWN = 5  # services named in one timeline line; the rest are counted
In = TypeVar("In")
Out = TypeVar("Out")
Item = TypeVar("Item")


class MigrationStopped(Exception):
    """Raised inside the workflow when the migration must roll back."""


class RunFull(Exception):
    """Raised at a unit boundary: this run's history is long, the next run takes over."""


class MigrationState:
    """The migration's state (set by MigrationWorkflow.__init__) and the lookups every job uses."""

    _v05: MigrationV05 | None
    _invalid_plan: str
    _plan: Plan | None
    _carry: MigrationCarry
    _status: MigrationStatus
    _inventory: Inventory
    _undo: UndoSet
    _abort: Control | None
    _decision: GateDecision | None
    _rejected: GateDecision | None
    _retry_undo: bool
    _units: int  # units met in this run, done or skipped
    # The analysis groups, from the first bake to the end of monitoring (or a rollback).
    _groups: list[workflow.ChildWorkflowHandle[AnalysisGroupWorkflow, None]]
    _group_key: str
    _reports: dict[int, GroupReport]  # the current step's, by group
    _input_logs: tuple[datetime | None, int]
    # Recorded since the journal's last page, in order (cutover.workflows.journal).
    _unstored: list[Event]
    # Webhook checks awaiting their callback: check -> its token's SHA-256; and the callbacks taken.
    _awaiting: dict[str, str]
    _callbacks: dict[str, WebhookCallback]
    _details_task: "asyncio.Task[None]"  # runs _keep_details_current for the run's life
    _details_stale: bool  # the UI's details lag the status until the end of this workflow task
    _signed_by: dict[str, str]  # at the open gate: who decided with a verified signature -> the key
    _sending: set["asyncio.Task[None]"]  # notifications in flight (cutover.workflows.notifying)
    _inputs_told: dict[NotificationKind, datetime]  # when each input kind was last told (notifying)
    _thawed: bool  # freeze_lifted arrived: look at the freeze again now
    _metrics: MigrationMetrics  # on the worker's Prometheus endpoint (cutover.workflows.metrics)

    @property
    def plan(self) -> Plan:
        assert self._plan is not None, "run() refuses an invalid plan before any step"
        return self._plan

    def _stopper(self) -> Stop:
        """What interrupts a step in flight: an abort."""
        return self._abort_reason

    def _abort_reason(self) -> str | None:
        return f"aborted by {self._abort.sender}: {self._abort.reason}" if self._abort else None

    async def _act(
        self, method: Callable[[Any, In], Awaitable[Out]], arg: In, config: workflow.ActivityConfig
    ) -> Out:
        """A forward step, cancelled on abort (calls.Interrupted names who aborted)."""
        return await call_unless(self._stopper(), method, arg, config)

    async def _child(
        self,
        run: Callable[[ServiceMigrationWorkflow, ServiceMigrationInput], Awaitable[str]],
        request: ServiceMigrationInput,
        id: str,
    ) -> str:
        """A non-exposed service's migration, cancelled (and waited for) on abort."""
        child = await workflow.start_child_workflow(
            run,
            request,
            id=id,
            task_timeout=CHILD_TASK_TIMEOUT,
            static_summary=service_summary(request.green, workflow.info().workflow_id),
        )
        return await until_stopped(self._stopper(), child)

    def _exposed(self) -> list[Workload]:
        return [w for w in self._inventory.workloads if w.exposed]

    def _workload(self, service: str) -> Workload:
        return next(w for w in self._inventory.workloads if w.service == service)

    def _ref(self, w: Workload, env: str) -> ServiceRef:
        return ServiceRef(
            env=env,
            service=w.service,
            namespace=w.namespace,
            kind=w.kind,
            name=w.name,
            replicas=w.replicas,
            image=w.image,
            keep_at_zero=env == self.plan.target.name
            and self.plan.rollback.green == RetireMode.SCALE_TO_ZERO,
        )

    def _weight(self, w: Workload, green_percent: int) -> WeightChange:
        return WeightChange(
            service=w.service,
            namespace=w.namespace,
            blue_env=self.plan.source.name,
            green_env=self.plan.target.name,
            green_percent=green_percent,
        )


def innermost_reason(error: BaseException) -> str:
    """The innermost message: what actually went wrong, not the wrapper's."""
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)


def fmt(value: timedelta) -> str:
    return format_duration(value)


def names(services: Sequence[str]) -> str:
    """A few names, the rest counted: one line however many services a step moves."""
    shown = ", ".join(services[:NAMES_SHOWN])
    return shown if len(services) <= NAMES_SHOWN else f"{shown} and {len(services) - NAMES_SHOWN} more"


def chunks(items: Sequence[Item], size: int) -> list[Sequence[Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
