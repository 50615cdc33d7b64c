"""MigrationWorkflow: one durable slow-injection blue-green migration, plan to review.

The spine is a sequence of units (a batch, a copy group, a health round, a gate, a traffic step);
between two of them a long run continues as new (cutover.workflows.runs), so no run's history
outgrows Temporal's bounds whatever the plan's size or length. The traffic steps' analysis runs in
groups of services (cutover.workflows.analysis_group), children that keep the evidence. A migration
started on 0.5 runs 0.5's code to its end (cutover.workflows.v05).

This module holds the definition: its state's start, the handlers and the run. Each job is a module
of its own, each class building on the one before: migration_state, journal, gates (gates, pause,
abort), runs (continue-as-new), traffic_steps (weights and watching), rollback (the undo set), standby
(revert and decommission after full cutover), phases (the practice's sequence).
"""

import asyncio
from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from cutover.models import (
        Control,
        GateDecision,
        Inventory,
        MigrationStatus,
        Outcome,
    )
    from cutover.plan.model import Plan
    from cutover.text import clip
    from cutover.workflow_inputs import UNKNOWN_SENDER, Refused, read_input, read_plan_input
    from cutover.workflows.calls import Interrupted
    from cutover.workflows.carry import MigrationCarry
    from cutover.workflows.decision_updates import DecisionUpdates
    from cutover.workflows.decisions import DecisionQuery, DecisionRefusal
    from cutover.workflows.gates import NOT_RUNNING
    from cutover.workflows.handler_help import (
        ABORT_HELP,
        APPROVE_HELP,
        CALLBACK_HELP,
        CONTROL_EXAMPLE,
        DECISION_EXAMPLE,
        DECISION_REFUSAL_HELP,
        FREEZE_LIFTED_HELP,
        PAUSE_HELP,
        REJECT_HELP,
        RESUME_HELP,
        REVERT_HELP,
        SIGNALS,
        STATUS_HELP,
        UNKNOWN_SIGNAL_HELP,
        UNKNOWN_UPDATE_HELP,
        UPDATES,
    )
    from cutover.workflows.metrics import MigrationMetrics
    from cutover.workflows.migration_state import MigrationStopped, RunFull, innermost_reason
    from cutover.workflows.options import BOUNDED_RUNS
    from cutover.workflows.search_attributes import MIGRATION_PLAN
    from cutover.workflows.ui_queries import REVIEW_HELP, REVIEW_QUERY, list_queries_without, review_text
    from cutover.workflows.v05.migration import MigrationV05

NAME_SHOWN = 60  # of a handler name nobody defined, in a refusal
UNLISTED_QUERIES = frozenset({"decision_refusal"})  # answered for 0.6's CLI, not offered in the Web UI
# The workflow type operators start from the UI and schedules name: DESIGN.md's contract.
MIGRATION_WORKFLOW_TYPE = "MigrationWorkflow"


@workflow.defn(name=MIGRATION_WORKFLOW_TYPE)
class MigrationWorkflow(DecisionUpdates):
    """Inputs are taken untyped and read defensively: nothing anyone sends can fail a workflow task."""

    @workflow.init
    def __init__(self, *inputs: object) -> None:
        # Decided before any handler runs: a migration started on 0.5 keeps 0.5's code to its end.
        self._v05 = None if workflow.patched(BOUNDED_RUNS) else MigrationV05(*inputs)
        continued = workflow.info().continued_run_id is not None
        plan = read_plan_input(inputs[:1], check_history=False) if continued else read_plan_input(inputs)
        self._invalid_plan = plan if isinstance(plan, str) else ""
        self._plan = plan if isinstance(plan, Plan) else None
        carry = self._read_carry(inputs)
        if carry is None:
            name = self._plan.name if self._plan else "(invalid plan)"
            gates = self._plan.gate_order() if self._plan else []
            carry = MigrationCarry(
                status=MigrationStatus(plan_name=name, gates=gates), inventory=Inventory(workloads=[])
            )
        self._carry = carry
        self._status = carry.status
        self._inventory = carry.inventory
        self._undo = carry.undo
        self._abort = carry.abort
        self._decision = None
        self._rejected = None
        self._retry_undo = False
        self._units = 0
        self._groups = []
        self._group_key = ""
        self._reports = {}
        self._input_logs = (None, 0)
        self._unstored = []
        self._awaiting = {}
        self._callbacks = {}
        self._details_stale = False
        self._signed_by = {}
        self._sending = set()
        self._inputs_told = {}
        self._thawed = False
        list_queries_without(UNLISTED_QUERIES)  # `status` first in the Web UI (cutover.workflows.ui_queries)
        self._metrics = MigrationMetrics(workflow.info().workflow_id)

    def _read_carry(self, inputs: Sequence[object]) -> MigrationCarry | None:
        """The previous run's carry: only a run this migration continued as new is handed one."""
        if len(inputs) != 2 or self._plan is None or workflow.info().continued_run_id is None:
            return None
        return MigrationCarry.model_validate(inputs[1])

    # ---- signals and query ----------------------------------------------------------------
    @workflow.signal(name="approve", description=APPROVE_HELP)
    def approve(self, *inputs: object) -> None:
        if self._v05:
            self._v05.approve(*inputs)
            return
        decision = self._read("approve", inputs, GateDecision, DECISION_EXAMPLE)
        if decision and self._accept(decision, "approve"):
            self._answer(decision, "approve", True, self._approval(decision))

    @workflow.signal(name="reject", description=REJECT_HELP)
    def reject(self, *inputs: object) -> None:
        if self._v05:
            self._v05.reject(*inputs)
            return
        decision = self._read("reject", inputs, GateDecision, DECISION_EXAMPLE)
        if decision and self._accept(decision, "reject"):
            self._answer(decision, "reject", True, self._rejection(decision))

    @workflow.signal(name="pause", description=PAUSE_HELP)
    def pause(self, *inputs: object) -> None:
        if self._v05:
            self._v05.pause(*inputs)
            return
        control = self._read("pause", inputs, Control, CONTROL_EXAMPLE)
        if control is not None and self._operator(control, "pause"):
            self._answer(control, "pause", True, self._pause(control))

    @workflow.signal(name="resume", description=RESUME_HELP)
    def resume(self, *inputs: object) -> None:
        if self._v05:
            self._v05.resume(*inputs)
            return
        control = self._read("resume", inputs, Control, CONTROL_EXAMPLE)
        if control is not None and self._operator(control, "resume"):
            self._answer(control, "resume", True, self._resume(control))

    @workflow.signal(name="abort", description=ABORT_HELP)
    def abort(self, *inputs: object) -> None:
        if self._v05:
            self._v05.abort(*inputs)
            return
        control = self._read("abort", inputs, Control, CONTROL_EXAMPLE)
        if control is not None:
            self._answer(control, "abort", True, self._aborting(control))

    @workflow.signal(name="freeze_lifted", description=FREEZE_LIFTED_HELP)
    def freeze_lifted(self, *inputs: object) -> None:
        """Constant work: a flag the freeze hold wakes on (a storm of them costs one look)."""
        self._thawed = True

    @workflow.update(name="revert", description=REVERT_HELP)
    def revert(self, *inputs: object) -> str:
        """Taken only in the standby window (the validator); the answer says what happens now."""
        self._guard_history()
        revert = self._read_revert(inputs)  # an abort may have landed since the validator ran
        if isinstance(revert, str):
            raise ApplicationError(revert, type="RevertRefused")
        return self._take_revert(revert)

    @revert.validator
    def validate_revert(self, *inputs: object) -> None:
        """A refused revert leaves no trace in the history: one line says why (a ValueError)."""
        refusal = self._read_revert(inputs)
        if isinstance(refusal, str):
            raise ValueError(refusal)

    @workflow.update(name="check_callback", description=CALLBACK_HELP)
    def check_callback(self, *inputs: object) -> str:
        """Taken only for a check that awaits it, with its token (the validator)."""
        callback = self._read_callback(inputs)
        if isinstance(callback, str):
            raise ApplicationError(callback, type="CallbackRefused")
        self._callbacks[callback.check] = callback
        return f"check {callback.check}: {callback.verdict} recorded"

    @check_callback.validator
    def validate_check_callback(self, *inputs: object) -> None:
        """A refused callback leaves no trace in the history: one line says why (a ValueError)."""
        refusal = self._read_callback(inputs)
        if isinstance(refusal, str):
            raise ValueError(refusal)

    @workflow.signal(dynamic=True, description=UNKNOWN_SIGNAL_HELP)
    def unknown_signal(self, name: str, inputs: Sequence[RawValue]) -> None:
        """A misspelt or foreign signal: one refusal line in the timeline (its payload is not read)."""
        if self._v05 or self._plan is None:
            return
        self._guard_history()
        self._refuse(
            clip(name, NAME_SHOWN), f"no such signal; {', '.join(SIGNALS)} act", UNKNOWN_SENDER, None
        )

    @workflow.update(dynamic=True, description=UNKNOWN_UPDATE_HELP)
    def unknown_update(self, name: str, inputs: Sequence[RawValue]) -> None:
        """Never runs: its validator refuses every update without a handler of its own."""
        raise ApplicationError(
            f"update {clip(name, NAME_SHOWN)} refused: no such update", type="UnknownUpdate"
        )

    @unknown_update.validator
    def validate_unknown_update(self, name: str, inputs: Sequence[RawValue]) -> None:
        raise ValueError(f"update {clip(name, NAME_SHOWN)} refused: no such update; {', '.join(UPDATES)} act")

    @workflow.query(name="status", description=STATUS_HELP)
    def status(self) -> MigrationStatus:
        if self._v05:
            return self._v05.status()
        return self._status

    @workflow.query(name=REVIEW_QUERY, description=REVIEW_HELP)
    def status_review(self) -> str:
        return review_text(workflow.info().workflow_id, self.status())

    @workflow.query(name="decision_refusal", description=DECISION_REFUSAL_HELP)
    def decision_refusal(self, *inputs: object) -> DecisionRefusal | None:
        """Why approve / reject would be refused now, by the rule the signals apply; None if taken."""
        if self._v05:
            return self._v05.decision_refusal(*inputs)
        read = read_input(inputs, DecisionQuery, DECISION_EXAMPLE)
        if isinstance(read, Refused):
            return DecisionRefusal(kind="bad-input", reason=f"decision refused: {read.reason}")
        if not self._running():
            return DecisionRefusal(kind="not-running", reason=f"{read.signal} refused: {NOT_RUNNING}")
        return self._decision_refusal(read, read.signal)

    @workflow.signal(
        name="group_report",
        description="internal: an analysis group's verdict on a step, sent by the migration's own groups "
        "(anything else is ignored); do not send it",
    )
    def group_report(self, *inputs: object) -> None:
        if not self._v05:
            self._take_report(inputs)

    # ---- spine ----------------------------------------------------------------------------
    @workflow.run
    async def run(self, *inputs: object) -> MigrationStatus:
        if self._v05:
            return await self._v05.run()
        if self._plan is None:
            # Started from the UI or the raw CLI with a plan `cutover plan validate` would refuse.
            # No stack trace in the failure either (cutover.temporal.payloads): it is the plan's fault.
            raise ApplicationError(self._invalid_plan, type="InvalidPlan", non_retryable=True)
        self._details_task = asyncio.create_task(self._keep_details_current())
        if self._carry.rollback is not None:
            await self._rollback(self._carry.rollback)
            return await self._finish()
        if self._carry.units_done == 0:
            workflow.upsert_search_attributes([MIGRATION_PLAN.value_set(self._plan.name)])
            self._set_outcome_attribute()
        try:
            await self._preparation()
            await self._non_exposed_migration()
            await self._parallel_operation()
            await self._validation()
            await self._full_cutover()
            self._status.outcome = Outcome.SUCCEEDED
        except RunFull:
            await self._continue_as_new()
        except (MigrationStopped, Interrupted, ActivityError, ChildWorkflowError) as stop:
            await self._rollback(innermost_reason(stop))
        return await self._finish()
