"""MigrationWorkflow: one durable slow-injection blue-green migration, plan to review.

The spine is a sequence of units (a batch, a copy group, a health round, a gate, a traffic step);
between two of them a long run continues as new (cutover.workflows.carry), so no run's history
outgrows Temporal's bounds whatever the plan's size or length. The traffic steps' analysis runs in
groups of services (cutover.workflows.analysis_group), children that keep the evidence. A migration
started on 0.5 runs 0.5's code to its end (cutover.workflows.v05).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    FailureError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from cutover.activities.lease_activities import LeaseActivities, LeaseCheck
    from cutover.activities.migration_activities import Copies, MigrationActivities, WeightChanges
    from cutover.analysis.verdict import Verdict
    from cutover.durations import format_duration
    from cutover.leases import keeper_id, planned_workloads
    from cutover.logs import get_logger
    from cutover.models import (
        TIMELINE_HEAD,
        Control,
        CronHandover,
        Event,
        EventKind,
        GateDecision,
        Inventory,
        MigrationStatus,
        OpenGate,
        Outcome,
        Phase,
        Receipt,
        ReportRequest,
        ServiceRef,
        SignalPayload,
        TargetCapacity,
        WeightChange,
        Workload,
        WorkloadKind,
    )
    from cutover.plan.history_budget import COPIES_AT_ONCE, GROUP_SIZE, RUN_EVENTS
    from cutover.plan.model import InconclusiveAction, Plan, RetireMode, TimeoutAction, traffic_gate
    from cutover.workflow_inputs import Refused, read_input, read_plan_input
    from cutover.workflows.analysis_group import (
        AnalysisGroupWorkflow,
        GroupInput,
        GroupReport,
        Member,
        StepOrder,
    )
    from cutover.workflows.calls import Interrupted, Stop, call, call_unless, until_stopped
    from cutover.workflows.carry import (
        CARRIED_EVENTS,
        GUARD_BYTES,
        GUARD_EVENTS,
        RUN_BYTES,
        MigrationCarry,
    )
    from cutover.workflows.decisions import (
        DecisionQuery,
        DecisionRefusal,
        Verb,
        decision_refusal,
    )
    from cutover.workflows.details import current_details
    from cutover.workflows.handler_help import (
        ABORT_HELP,
        APPROVE_HELP,
        CONTROL_EXAMPLE,
        DECISION_EXAMPLE,
        DECISION_REFUSAL_HELP,
        PAUSE_HELP,
        REJECT_HELP,
        RESUME_HELP,
        STATUS_HELP,
    )
    from cutover.workflows.leases import LeaseRequest, MigrationLeasesWorkflow
    from cutover.workflows.options import (
        BOUNDED_RUNS,
        CHILD_TASK_TIMEOUT,
        FORWARD,
        LEASE_TIMEOUT,
        LONG_CHILD_TASK_TIMEOUT,
        PROVISION_TIMEOUT,
        UNDO,
        UNDO_RETRY,
        heartbeating,
    )
    from cutover.workflows.search_attributes import (
        GREEN_TRAFFIC_PERCENT,
        MIGRATION_OUTCOME,
        MIGRATION_PHASE,
        MIGRATION_PLAN,
    )
    from cutover.workflows.service_migration import (
        ServiceMigrationInput,
        ServiceMigrationWorkflow,
    )
    from cutover.workflows.v05.migration import MigrationV05
    from cutover.workflows.waits import rollout_failure

SYSTEM = "cutover"
NOT_RUNNING = "the migration is not running"
INPUT_EVENTS = frozenset({EventKind.REFUSED, EventKind.PAUSED, EventKind.RESUMED})
INPUT_LOG_LINES = 10  # per workflow task; the timeline keeps every one
INCONCLUSIVE_HELP = (
    "paused: `resume` goes on to the next step without a verdict on this one; for verdicts, `abort` "
    "and start a plan with a longer traffic.bake, a lower analysis.min_requests or "
    "analysis.on_inconclusive: extend"
)
CRONS_AT_ONCE = 20  # CronJob schedules handed back together in a rollback
NAMES_SHOWN = 5  # services named in one timeline line; the rest are counted
Payload = TypeVar("Payload", bound=SignalPayload)
In = TypeVar("In")
Out = TypeVar("Out")
Item = TypeVar("Item")


class MigrationStopped(Exception):
    """Raised inside the workflow when the migration must roll back."""


class RunFull(Exception):
    """Raised at a unit boundary: this run's history is long, the next run takes over."""


# The workflow type operators start from the UI and schedules name: DESIGN.md's contract.
MIGRATION_WORKFLOW_TYPE = "MigrationWorkflow"


@workflow.defn(name=MIGRATION_WORKFLOW_TYPE)
class MigrationWorkflow:
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
        self._abort: Control | None = carry.abort
        self._decision: GateDecision | None = None
        self._rejected: GateDecision | None = None
        self._retry_undo = False
        self._units = 0  # units met in this run, done or skipped
        # The analysis groups, from the first bake to the end of monitoring (or a rollback).
        self._groups: list[workflow.ChildWorkflowHandle[AnalysisGroupWorkflow, None]] = []
        self._group_key = ""
        self._reports: dict[int, GroupReport] = {}  # the current step's, by group
        self._input_logs: tuple[datetime | None, int] = (None, 0)

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
            self._decision = decision
            self._answer(decision, "approve", True, f"approval of gate {decision.gate} recorded")

    @workflow.signal(name="reject", description=REJECT_HELP)
    def reject(self, *inputs: object) -> None:
        if self._v05:
            self._v05.reject(*inputs)
            return
        decision = self._read("reject", inputs, GateDecision, DECISION_EXAMPLE)
        if decision and self._accept(decision, "reject"):
            self._rejected = decision
            self._answer(
                decision, "reject", True, f"rejection of gate {decision.gate} recorded: rolling back"
            )

    @workflow.signal(name="pause", description=PAUSE_HELP)
    def pause(self, *inputs: object) -> None:
        if self._v05:
            self._v05.pause(*inputs)
            return
        control = self._read("pause", inputs, Control, CONTROL_EXAMPLE)
        if control is None:
            return
        if self._status.paused:
            self._answer(control, "pause", True, "already paused")
            return
        self._status.paused = True
        self._flip(EventKind.PAUSED, control.reason or "paused", control.sender)
        self._answer(control, "pause", True, "paused: the migration holds at the next step boundary")

    @workflow.signal(name="resume", description=RESUME_HELP)
    def resume(self, *inputs: object) -> None:
        if self._v05:
            self._v05.resume(*inputs)
            return
        control = self._read("resume", inputs, Control, CONTROL_EXAMPLE)
        if control is None:
            return
        if self._status.stuck_undo:
            self._retry_undo = True
        elif not self._status.paused:
            self._answer(control, "resume", True, "not paused: nothing to resume")
            return
        self._status.paused = False
        self._flip(EventKind.RESUMED, control.reason or "resumed", control.sender)
        self._answer(control, "resume", True, "resumed")

    @workflow.signal(name="abort", description=ABORT_HELP)
    def abort(self, *inputs: object) -> None:
        if self._v05:
            self._v05.abort(*inputs)
            return
        control = self._read("abort", inputs, Control, CONTROL_EXAMPLE)
        if control is None:
            return
        if self._abort is not None:
            self._answer(control, "abort", True, f"already aborted by {self._abort.sender}")
            return
        self._abort = control
        self._event(EventKind.ABORT, control.reason or "abort requested", control.sender)
        self._answer(control, "abort", True, "abort recorded: rolling back to blue")

    @workflow.query(name="status", description=STATUS_HELP)
    def status(self) -> MigrationStatus:
        if self._v05:
            return self._v05.status()
        return self._status

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

    def _read(
        self, signal: str, inputs: Sequence[object], model: type[Payload], example: str
    ) -> Payload | None:
        """The signal's payload, or None after recording why it was refused."""
        self._guard_history()
        read = read_input(inputs, model, example)
        if isinstance(read, Refused):
            self._refuse(signal, read.reason, read.sender, read.request_id)
            return None
        if not self._running():
            self._refuse(signal, NOT_RUNNING, read.sender, read.request_id)
            return None
        return read

    def _running(self) -> bool:
        return self._plan is not None and self._status.phase != Phase.DONE

    def _refuse(self, signal: str, reason: str, sender: str, request_id: str | None) -> None:
        self._event(EventKind.REFUSED, f"{signal} refused: {reason}", sender)
        if request_id:
            self._status.answer(Receipt(request_id=request_id, signal=signal, applied=False, message=reason))

    def _answer(self, sent: SignalPayload, signal: str, applied: bool, message: str) -> None:
        if sent.request_id:
            self._status.answer(
                Receipt(request_id=sent.request_id, signal=signal, applied=applied, message=message)
            )

    def _accept(self, decision: GateDecision, verb: Verb) -> bool:
        refusal = self._decision_refusal(decision, verb)
        if refusal is None:
            return True
        self._event(EventKind.REFUSED, refusal.reason, decision.sender)
        self._answer(decision, verb, False, refusal.reason)
        return False

    def _decision_refusal(self, decision: GateDecision, verb: Verb) -> DecisionRefusal | None:
        """The rule for approve and reject: the signals apply it, the decision_refusal query reports it."""
        assert self._plan is not None  # both callers refuse everything while there is no valid plan
        approvers = self._plan.gates.approvers
        return decision_refusal(decision, verb, self._status, approvers, workflow.info().workflow_id)

    def _flip(self, kind: EventKind, message: str, actor: str) -> None:
        """Pause/resume: a burst by one person in one moment leaves one line, the final state."""
        timeline = self._status.timeline
        last = timeline[-1] if timeline else None
        if (
            last
            and last.kind in (EventKind.PAUSED, EventKind.RESUMED)
            and last.actor == actor
            and last.time == workflow.now()
        ):
            timeline[-1] = Event(time=last.time, actor=actor, kind=kind, message=f"{message} (after a burst)")
            self._publish_details()
            return
        self._event(kind, message, actor)

    def _guard_history(self) -> None:
        """Roll back while Temporal still lets the workflow act: a flood of signals must not cut it off
        (the rollback routes everything back at once, then continues as new to do the rest)."""
        info = workflow.info()
        length, size = info.get_current_history_length(), info.get_current_history_size()
        if self._abort or self._plan is None or self._carry.rollback is not None:
            return
        if length < GUARD_EVENTS and size < GUARD_BYTES:
            return
        self._abort = Control(
            sender=SYSTEM,
            reason=f"this run's history is nearly full ({length:,} events, {size / 1e6:.1f} MB; a run may "
            f"use {GUARD_EVENTS:,} events or {GUARD_BYTES / 1e6:.0f} MB): rolling back while it still can",
        )
        self._event(EventKind.ABORT, self._abort.reason)

    # ---- spine ----------------------------------------------------------------------------
    @workflow.run
    async def run(self, *inputs: object) -> MigrationStatus:
        if self._v05:
            return await self._v05.run()
        if self._plan is None:
            # Started from the UI or the raw CLI with a plan `cutover plan validate` would refuse.
            raise ApplicationError(self._invalid_plan, type="InvalidPlan", non_retryable=True)
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
            await self._rollback(_reason(stop))
        return await self._finish()

    @property
    def plan(self) -> Plan:
        assert self._plan is not None, "run() refuses an invalid plan before any step"
        return self._plan

    async def _finish(self) -> MigrationStatus:
        await self._release_leases()
        await self._review()
        return self._status

    async def _unit(self, body: Callable[[], Awaitable[None]]) -> None:
        """One unit of the spine: skipped when an earlier run did it; after it, a long run hands over."""
        self._units += 1
        if self._units <= self._carry.units_done:
            return
        await body()
        self._carry.units_done = self._units
        info = workflow.info()
        long = (
            info.get_current_history_length() > RUN_EVENTS
            or info.get_current_history_size() > RUN_BYTES
            or info.is_continue_as_new_suggested()
        )
        if long and not self._groups:  # the analysis groups are children: they end with this run
            raise RunFull()

    async def _continue_as_new(self, rollback: str | None = None) -> None:
        """Hand the migration to a new run (one that only rolls back, with `rollback`)."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        status = self._status.model_copy(deep=True)
        if len(status.timeline) > CARRIED_EVENTS:  # the first events and the latest, as record() keeps
            dropped = len(status.timeline) - CARRIED_EVENTS
            del status.timeline[TIMELINE_HEAD : TIMELINE_HEAD + dropped]
            status.timeline_omitted += dropped
        carry = self._carry.model_copy(
            update={"status": status, "abort": self._abort, "rollback": rollback, "undo": self._undo}
        )
        workflow.continue_as_new(args=[self.plan, carry])

    async def _preparation(self) -> None:
        async def prepare() -> None:
            self._enter(Phase.PREPARATION)
            await self._take_leases()
            self._step("discover and classify workloads in blue; record blue's state")
            self._inventory = await self._act(MigrationActivities.discover, self.plan, FORWARD)
            self._carry.inventory = self._inventory
            for w in self._inventory.workloads:
                self._event(
                    EventKind.DISCOVERED,
                    f"{w.service}: {w.kind}/{w.name} "
                    f"{'exposed' if w.exposed else 'non-exposed'}, {w.replicas} replicas",
                )
            self._step("make sure green can schedule the migrated namespaces")
            capacity = TargetCapacity(namespaces=sorted({w.namespace for w in self._inventory.workloads}))
            provisioning = heartbeating(PROVISION_TIMEOUT)
            prepared = await self._act(MigrationActivities.prepare_target, capacity, provisioning)
            self._event(EventKind.TARGET, prepared)
            self._status.weights = dict(self._inventory.blue_weights)
            self._update_traffic_attribute()
            await self._checkpoint()

        await self._unit(prepare)

    async def _take_leases(self) -> None:
        """Own every planned workload in blue and green before anything is read or changed."""
        self._step("lease the plan's workloads in blue and green")
        holder = workflow.info().workflow_id
        for role, env in (("source", self.plan.source.name), ("target", self.plan.target.name)):
            try:
                await workflow.start_child_workflow(
                    MigrationLeasesWorkflow.run,
                    LeaseRequest(holder=holder, workloads=planned_workloads(self.plan, env)),
                    id=keeper_id(holder, role),
                    task_timeout=LONG_CHILD_TASK_TIMEOUT,
                    # Outlives this run's continue-as-new; a keeper whose migration closed without
                    # releasing it is ended by the next migration needing its workloads.
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                )
            except WorkflowAlreadyStartedError:
                raise MigrationStopped(f"lease keeper {keeper_id(holder, role)} already runs") from None
            self._carry.keepers.append(keeper_id(holder, role))
        check = LeaseCheck(keepers=self._carry.keepers, timeout=LEASE_TIMEOUT)
        held = await self._act(LeaseActivities.await_leases, check, heartbeating(LEASE_TIMEOUT))
        if held:
            raise MigrationStopped("workloads leased by other migrations: " + "; ".join(held))
        self._event(
            EventKind.LEASES,
            f"holds the plan's workloads in {self.plan.source.name} and "
            f"{self.plan.target.name} until this migration ends",
        )

    async def _release_leases(self) -> None:
        """Blue serves what it served, or green serves everything: the workloads are free again."""
        if not self._carry.keepers:
            return
        for keeper in self._carry.keepers:
            try:
                await workflow.get_external_workflow_handle(keeper).signal(MigrationLeasesWorkflow.release)
            except FailureError:
                pass  # a keeper someone ended by hand has nothing to give back
        check = LeaseCheck(keepers=self._carry.keepers, timeout=LEASE_TIMEOUT)
        await call(LeaseActivities.await_released, check, heartbeating(LEASE_TIMEOUT))
        self._carry.keepers = []
        self._event(EventKind.LEASES, "gave the plan's workloads back")

    async def _non_exposed_migration(self) -> None:
        services = [w for w in self._inventory.workloads if not w.exposed]
        size = self.plan.non_exposed.batch_size
        batches = [services[i : i + size] for i in range(0, len(services), size)]
        await self._unit(self._enter_unit(Phase.NON_EXPOSED))
        for number, batch in enumerate(batches, start=1):
            await self._unit(partial(self._batch, number, len(batches), batch))

    async def _batch(self, number: int, of: int, batch: list[Workload]) -> None:
        names = [w.service for w in batch]
        self._step(f"batch {number}/{of}: {', '.join(names)}")
        self._event(EventKind.BATCH, f"batch {number}/{of}: {', '.join(names)}")
        limit = self.plan.non_exposed.parallelism
        for i in range(0, len(batch), limit):
            # Let every sibling finish before a failure triggers rollback, so no undo races a deploy.
            results = await asyncio.gather(
                *(self._migrate_one(w) for w in batch[i : i + limit]), return_exceptions=True
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]
        await self._checkpoint()

    async def _migrate_one(self, workload: Workload) -> None:
        green = self._ref(workload, self.plan.target.name)
        self._undo.copies.append(workload.service)
        cronjobs = self.plan.cronjobs
        if workload.kind == WorkloadKind.CRONJOB:
            self._undo.crons[workload.service] = workflow.now()
        result = await self._child(
            ServiceMigrationWorkflow.run,
            ServiceMigrationInput(
                green=green,
                blue_env=self.plan.source.name,
                blue_suspended=workload.suspended,
                rollout_timeout=self.plan.rollout.timeout,
                active_jobs_timeout=cronjobs.active_jobs_timeout,
                first_run_timeout=cronjobs.first_run_timeout,
            ),
            id=f"{workflow.info().workflow_id}/{workload.service}",
        )
        self._event(EventKind.MIGRATED, result)

    async def _parallel_operation(self) -> None:
        await self._unit(self._enter_unit(Phase.PARALLEL))
        exposed = self._exposed()
        for i in range(0, len(exposed), COPIES_AT_ONCE):
            await self._unit(partial(self._deploy, exposed[i : i + COPIES_AT_ONCE]))
        settings = self.plan.parallel_operation
        elapsed, rounds = timedelta(0), []
        while elapsed < settings.duration:
            wait = min(settings.health_check_interval, settings.duration - elapsed)
            rounds.append((elapsed, wait))
            elapsed += wait
        for start, wait in rounds:
            await self._unit(partial(self._side_by_side, start, wait))

    async def _deploy(self, group: list[Workload]) -> None:
        """Deploy a few exposed services to green at 0% and wait for their rollouts, together."""
        self._step(f"deploy {_names([w.service for w in group])} to green at 0% traffic")
        self._undo.copies += [w.service for w in group]
        waiting: list[str] = []
        results = await asyncio.gather(*(self._deploy_one(w, waiting) for w in group), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]

    async def _deploy_one(self, w: Workload, waiting: list[str]) -> None:
        """Deploy, then wait for the rollout; the step names the services still rolling out."""
        green = self._ref(w, self.plan.target.name)
        await self._act(MigrationActivities.deploy_copy, green, FORWARD)
        waiting.append(w.service)
        self._step(f"wait for {_names(waiting)} to roll out in green")
        failure = await rollout_failure(green, self.plan.rollout.timeout, self._stopper())
        waiting.remove(w.service)
        if waiting:
            self._step(f"wait for {_names(waiting)} to roll out in green")
        if failure:
            raise MigrationStopped(failure)

    async def _side_by_side(self, elapsed: timedelta, wait: timedelta) -> None:
        duration = self.plan.parallel_operation.duration
        self._step(f"bake side by side: {_fmt(elapsed)} of {_fmt(duration)}")
        await self._sleep(wait)
        # The timeline records the last round only: a week of rounds would bury everything else.
        await self._health_check_both(record=elapsed + wait >= duration)

    async def _validation(self) -> None:
        await self._unit(self._enter_unit(Phase.VALIDATION))

        async def answers() -> None:
            # At 0% green has no users, so there is nothing to count or compare: check that both
            # answer; the analysis starts with the first traffic step's bake.
            self._step("check green answers before UAT")
            await self._health_check_both()

        await self._unit(answers)
        await self._unit(partial(self._gate, "uat"))
        for weight in self.plan.partial_steps():
            await self._unit(partial(self._traffic_step, weight))
            await self._unit(partial(self._gate, traffic_gate(weight)))

    async def _full_cutover(self) -> None:
        await self._unit(self._enter_unit(Phase.FULL_CUTOVER))
        await self._unit(partial(self._gate, "full-cutover"))
        await self._unit(partial(self._traffic_step, 100))

        async def final_checks() -> None:
            self._step("final end-to-end and data checks")
            await self._health_check_both()
            await self._watch(100, self.plan.monitoring.window, "intensive monitoring")
            await self._finish_groups()
            self._event(EventKind.CUTOVER, "green serves 100%; blue stays as hot standby")

        await self._unit(final_checks)

    def _enter_unit(self, phase: Phase) -> Callable[[], Awaitable[None]]:
        async def enter() -> None:
            self._enter(phase)

        return enter

    async def _review(self) -> None:
        self._status.phase = Phase.REVIEW
        self._step("write the post-release review")
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(Phase.REVIEW.value)])
        request = ReportRequest(workflow_id=workflow.info().workflow_id, status=self._status)
        path = await call(MigrationActivities.write_report, request, FORWARD)
        self._status.report_path = path
        self._status.phase = Phase.DONE
        self._step(f"done: {self._status.outcome.value}")
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(Phase.DONE.value)])
        self._set_outcome_attribute()
        self._event(EventKind.REVIEW, f"post-release review written to {path}")

    # ---- traffic and analysis -------------------------------------------------------------
    async def _traffic_step(self, weight: int) -> None:
        await self._start_groups()  # before traffic moves, so the bake's watch starts at once
        exposed = self._exposed()
        self._undo.routed = True  # before the change: one cut off half-way is routed back too
        self._step(f"set {_names([w.service for w in exposed])} to {weight}% green")
        changes = WeightChanges(changes=[self._weight(w, weight) for w in exposed])
        await self._act(MigrationActivities.set_weights, changes, FORWARD)
        for w in exposed:
            self._status.weights[w.service] = weight
        self._event(EventKind.WEIGHTS, f"{_names([w.service for w in exposed])}: {weight}% green")
        self._update_traffic_attribute()
        await self._watch(weight, self.plan.traffic.bake, f"bake at {weight}%")

    async def _watch(self, weight: int, duration: timedelta, label: str) -> None:
        """Every analysis group watches the step; the first failure rolls back, the step ends when
        every group has reported."""
        analysis = self.plan.analysis
        index = self._carry.analysed_steps
        self._carry.analysed_steps += 1
        self._stop_if_aborted()
        await self._start_groups()
        order = StepOrder(
            step=index,
            weight=weight,
            duration=duration,
            alpha=analysis.step_alphas(self.plan.traffic.steps)[index],
            label=label,
        )
        self._reports = {}
        await asyncio.gather(*(group.signal(AnalysisGroupWorkflow.watch, order) for group in self._groups))
        self._step(
            f"{label}: {_fmt(duration)}, a look every {_fmt(analysis.interval)} at "
            f"{len(self._exposed())} services in {len(self._groups)} analysis group(s)"
        )
        await workflow.wait_condition(
            lambda: (
                bool(self._abort)
                or len(self._reports) == len(self._groups)
                or any(r.verdict is Verdict.FAIL for r in self._reports.values())
                or any(group.done() for group in self._groups)
            )
        )
        self._stop_if_aborted()
        ended = next((group for group in self._groups if group.done()), None)
        if ended is not None and len(self._reports) < len(self._groups):
            why = _reason(ended.exception() or RuntimeError("it ended"))
            raise MigrationStopped(f"{label}: analysis group {ended.id} stopped: {why}")
        reports = sorted(self._reports.values(), key=lambda r: r.group)
        for report in reports:
            for result in report.results:
                self._status.add_analysis(result)
                self._event(EventKind.ANALYSIS, f"{label} {result.service}: {result.verdict}")
        failed = next((r for r in reports if r.verdict is Verdict.FAIL), None)
        if failed:
            raise MigrationStopped(failed.failure)
        undecided = [r for r in reports if r.verdict is Verdict.INCONCLUSIVE]
        if not undecided:
            return
        reasons = "; ".join(r.failure for r in undecided)
        if analysis.on_inconclusive is InconclusiveAction.ROLLBACK:
            raise MigrationStopped(f"{label} inconclusive: {reasons}")
        self._status.paused = True
        self._event(EventKind.PAUSED, f"{label} inconclusive ({reasons}); {INCONCLUSIVE_HELP}")
        await self._checkpoint()

    async def _start_groups(self) -> None:
        """At the first bake: one analysis group per GROUP_SIZE exposed services, for the rest of
        the migration (children: they end with this run, which never continues as new while they run)."""
        if self._groups:
            return
        analysis, exposed = self.plan.analysis, self._exposed()
        self._group_key = str(workflow.uuid4())
        migration = workflow.info().workflow_id
        inputs = [
            GroupInput(
                migration_id=migration,
                group=number,
                key=self._group_key,
                services=[Member(service=w.service, namespace=w.namespace) for w in chunk],
                blue_env=self.plan.source.name,
                green_env=self.plan.target.name,
                interval=analysis.interval,
                bake_min=analysis.bake_min,
                limits=analysis.decision_limits(),
                on_inconclusive=analysis.on_inconclusive,
            )
            for number, chunk in enumerate(_chunks(exposed, GROUP_SIZE))
        ]
        self._groups = list(
            await asyncio.gather(
                *(
                    workflow.start_child_workflow(
                        AnalysisGroupWorkflow.run,
                        group,
                        id=f"{migration}/analysis-{group.group}",
                        task_timeout=LONG_CHILD_TASK_TIMEOUT,
                    )
                    for group in inputs
                )
            )
        )
        self._status.analysis_groups = [group.id for group in self._groups]

    async def _finish_groups(self) -> None:
        await asyncio.gather(*(group.signal(AnalysisGroupWorkflow.finish) for group in self._groups))
        await asyncio.gather(*self._groups)
        self._groups, self._status.analysis_groups = [], []

    @workflow.signal(
        name="group_report",
        description="internal: an analysis group's verdict on a step, sent by the migration's own groups "
        "(anything else is ignored); do not send it",
    )
    def group_report(self, *inputs: object) -> None:
        """Taken only from this migration's own groups (their key) for the step being watched."""
        if self._v05 or len(inputs) != 1 or not self._group_key:
            return
        try:
            report = GroupReport.model_validate(inputs[0])
        except ValueError:
            return
        if report.key == self._group_key and report.step == self._carry.analysed_steps - 1:
            self._reports[report.group] = report

    async def _health_check_both(self, record: bool = True) -> None:
        copies = Copies(
            refs=[
                self._ref(w, env)
                for w in self._exposed()
                for env in (self.plan.source.name, self.plan.target.name)
            ]
        )
        sick = await self._act(MigrationActivities.check_health_all, copies, FORWARD)
        if sick:
            raise MigrationStopped(f"health check failed: {_names(sick)}")
        if record:
            self._event(EventKind.HEALTH, "both environments healthy")
        await self._checkpoint()

    # ---- gates, pause, abort --------------------------------------------------------------
    async def _gate(self, name: str) -> None:
        await self._checkpoint()
        if not self.plan.needs_approval(name):
            return
        gates = self.plan.gates
        now = workflow.now()
        self._status.open_gate = OpenGate(
            name=name, approvers=gates.approvers, opened_at=now, deadline=now + gates.timeout
        )
        self._decision = self._rejected = None
        self._step(f"waiting for approval of gate {name}")
        self._event(EventKind.GATE_OPEN, f"gate {name} waits for one of {', '.join(gates.approvers)}")
        decided = await self._wait_for(lambda: self._decision or self._rejected, gates.timeout)
        if not decided and gates.on_timeout == TimeoutAction.ROLLBACK:
            self._event(EventKind.GATE_TIMEOUT, f"gate {name} timed out; plan says roll back")
            self._status.open_gate = None
            raise MigrationStopped(f"gate {name} timed out")
        if not decided:
            self._event(EventKind.GATE_TIMEOUT, f"gate {name} timed out; paused until a decision")
            self._step(f"gate {name} timed out; waiting for a decision")
            await workflow.wait_condition(lambda: bool(self._decision or self._rejected or self._abort))
        self._status.open_gate = None
        self._stop_if_aborted()
        if self._rejected:
            self._event(EventKind.REJECTED, f"gate {name}: {self._rejected.comment}", self._rejected.sender)
            raise MigrationStopped(
                f"gate {name} rejected by {self._rejected.sender}: {self._rejected.comment}"
            )
        assert self._decision is not None
        self._event(EventKind.APPROVED, f"gate {name}: {self._decision.comment}", self._decision.sender)
        # An approval does not lift a pause: hold here before the next step moves traffic.
        await self._checkpoint()

    async def _wait_for(self, condition: Callable[[], object], timeout: timedelta) -> bool:
        """Wait for condition or abort; False when the timeout passed first."""
        try:
            await workflow.wait_condition(lambda: bool(condition() or self._abort), timeout=timeout)
        except TimeoutError:
            return False
        return True

    async def _sleep(self, duration: timedelta) -> None:
        await self._wait_for(lambda: False, duration)
        await self._checkpoint()

    async def _checkpoint(self) -> None:
        """Between steps: stop on abort, hold while paused."""
        self._stop_if_aborted()
        if self._status.paused:
            step = self._status.step
            self._step(f"paused (was: {step})")
            await workflow.wait_condition(lambda: not self._status.paused or bool(self._abort))
            self._stop_if_aborted()
            self._step(step)

    def _stop_if_aborted(self) -> None:
        self._guard_history()
        reason = self._abort_reason()
        if reason:
            raise MigrationStopped(reason)

    # ---- rollback -------------------------------------------------------------------------
    async def _rollback(self, reason: str) -> None:
        """Every exposed service back to blue at once, then the schedules, then green's copies; a run
        with a long history hands the rest to a run that only rolls back."""
        if self._carry.rollback is None:
            self._enter(Phase.ROLLING_BACK)
            self._status.outcome_reason = reason
            self._status.open_gate = None
            self._event(EventKind.ROLLBACK, f"rolling back: {reason}")
            self._carry.rollback = reason
        if self._undo.routed:
            blue = self.plan.source.name
            changes = [
                self._weight(w, self._inventory.blue_weights.get(w.service, 0)) for w in self._exposed()
            ]
            description = f"route {_names([c.service for c in changes])} back to blue"
            await self._undo_step(
                description, MigrationActivities.set_weights, WeightChanges(changes=changes)
            )
            self._undo.routed = False
            for change in changes:
                self._status.weights[change.service] = change.green_percent
            self._update_traffic_attribute()
            self._event(EventKind.UNDO, f"{description} (as in {blue} before the migration)")
        await self._finish_groups_quietly()
        if self._run_is_long():
            await self._continue_as_new(rollback=reason)
        for services in _chunks(
            sorted(self._undo.crons, key=lambda s: self._undo.crons[s], reverse=True), CRONS_AT_ONCE
        ):
            await asyncio.gather(*(self._hand_back(service) for service in services))
            if self._run_is_long():
                await self._continue_as_new(rollback=reason)
        while self._undo.copies:
            batch = self._undo.copies[-COPIES_AT_ONCE * 5 :]
            refs = [self._ref(self._workload(s), self.plan.target.name) for s in batch]
            description = f"remove {_names(batch)} from green"
            await self._undo_step(description, MigrationActivities.remove_copies, Copies(refs=refs))
            del self._undo.copies[-len(batch) :]
            self._event(EventKind.UNDO, description)
            if self._run_is_long():
                await self._continue_as_new(rollback=reason)
        self._status.outcome = Outcome.ROLLED_BACK
        self._event(EventKind.ROLLBACK, "blue serves everything it served before the migration")

    async def _hand_back(self, service: str) -> None:
        workload = self._workload(service)
        state = "suspended" if workload.suspended else "enabled"
        cronjobs = self.plan.cronjobs
        handover = CronHandover(
            service=service,
            namespace=workload.namespace,
            name=workload.name,
            enable_in=self.plan.source.name,
            disable_in=self.plan.target.name,
            keep_suspended=workload.suspended,
            active_jobs_timeout=cronjobs.active_jobs_timeout,
            since=self._undo.crons[service],
        )
        description = f"hand {service}'s schedule back to blue ({state}, as before)"
        config = heartbeating(cronjobs.active_jobs_timeout, UNDO_RETRY)
        await self._undo_step(description, MigrationActivities.hand_over_cron, handover, config)
        del self._undo.crons[service]
        self._event(EventKind.UNDO, description)

    async def _undo_step(
        self,
        description: str,
        method: Callable[[MigrationActivities, In], Awaitable[object]],
        arg: In,
        config: workflow.ActivityConfig = UNDO,
    ) -> None:
        """Retried a few times; then it waits for a human (`resume`) and tries again."""
        while True:
            self._step(f"undo: {description}")
            try:
                await call(method, arg, config)
                return
            except ActivityError as error:
                self._status.stuck_undo = description
                self._event(
                    EventKind.UNDO_STUCK,
                    f"undo '{description}' keeps failing ({_reason(error)}); send resume to retry",
                )
                self._step(f"STUCK: undo '{description}' waits for a human (resume)")
                self._retry_undo = False
                # A flood while stuck: the next run waits on (its undo set is this one's).
                await workflow.wait_condition(lambda: self._retry_undo or self._run_is_long())
                self._status.stuck_undo = None
                if not self._retry_undo and self._carry.rollback is not None:
                    await self._continue_as_new(rollback=self._carry.rollback)

    async def _finish_groups_quietly(self) -> None:
        """The analysis groups are cancelled, once traffic is back at blue."""
        groups, self._groups, self._status.analysis_groups = self._groups, [], []
        for group in groups:
            if not group.done():
                group.cancel()
        await asyncio.gather(*groups, return_exceptions=True)

    def _run_is_long(self) -> bool:
        info = workflow.info()
        return info.get_current_history_length() > RUN_EVENTS or info.get_current_history_size() > RUN_BYTES

    def _workload(self, service: str) -> Workload:
        return next(w for w in self._inventory.workloads if w.service == service)

    # ---- helpers --------------------------------------------------------------------------
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
        child = await workflow.start_child_workflow(run, request, id=id, task_timeout=CHILD_TASK_TIMEOUT)
        return await until_stopped(self._stopper(), child)

    def _exposed(self) -> list[Workload]:
        return [w for w in self._inventory.workloads if w.exposed]

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

    def _enter(self, phase: Phase) -> None:
        self._status.phase = phase
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(phase.value)])
        self._event(EventKind.PHASE, f"entered {phase.value}")

    def _step(self, step: str) -> None:
        self._status.step = step
        self._publish_details()

    def _set_outcome_attribute(self) -> None:
        """running / succeeded / rolled-back in the Workflows list."""
        workflow.upsert_search_attributes([MIGRATION_OUTCOME.value_set(self._status.outcome.value)])

    def _update_traffic_attribute(self) -> None:
        weights = self._status.weights.values()
        workflow.upsert_search_attributes([GREEN_TRAFFIC_PERCENT.value_set(max(weights, default=0))])

    def _event(self, kind: EventKind, message: str, actor: str = SYSTEM) -> None:
        now = workflow.now()
        self._status.record(Event(time=now, actor=actor, kind=kind, message=message))
        if not workflow.unsafe.is_replaying() and self._worth_logging(kind, now):
            info = workflow.info()
            get_logger(workflow_id=info.workflow_id, run_id=info.run_id, phase=self._status.phase.value).info(
                message, kind=kind, actor=actor
            )
        self._publish_details()

    def _worth_logging(self, kind: EventKind, now: datetime) -> bool:
        """Inputs (refusals, pause/resume) log a few lines per moment: a burst must not stall the task."""
        if kind not in INPUT_EVENTS:
            return True
        moment, logged = self._input_logs
        logged = logged + 1 if moment == now else 1
        self._input_logs = (now, logged)
        return logged <= INPUT_LOG_LINES

    def _publish_details(self) -> None:
        workflow.set_current_details(current_details(self._status))


def _reason(error: BaseException) -> str:
    """The innermost message: what actually went wrong, not the wrapper's."""
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)


def _fmt(value: timedelta) -> str:
    return format_duration(value)


def _names(names: Sequence[str]) -> str:
    """A few names, the rest counted: one line however many services a step moves."""
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown if len(names) <= NAMES_SHOWN else f"{shown} and {len(names) - NAMES_SHOWN} more"


def _chunks(items: Sequence[Item], size: int) -> list[Sequence[Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
