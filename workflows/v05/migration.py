"""The migration of 0.5, frozen: MigrationWorkflow runs it for migrations started on 0.5 (v7 histories).

Retired in 0.7 (README, "Upgrading"): nothing here changes but to keep those histories replaying.
The handlers are plain methods; cutover.workflows.migration's decorated ones call them.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from cutover.activities.lease_activities import LeaseActivities, LeaseCheck
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.analysis.decision import State
    from cutover.analysis.looks import LookRequest, ServiceLook, Watched
    from cutover.analysis.verdict import Verdict
    from cutover.durations import format_duration
    from cutover.leases import keeper_id, planned_workloads
    from cutover.logs import get_logger
    from cutover.models import (
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
        Series,
        ServiceRef,
        SignalPayload,
        TargetCapacity,
        WeightChange,
        Workload,
        WorkloadKind,
    )
    from cutover.plan.model import InconclusiveAction, Plan, RetireMode, TimeoutAction, traffic_gate
    from cutover.workflow_inputs import Refused, read_input, read_plan_input
    from cutover.workflows.calls import Interrupted, Stop, call, call_unless, until_stopped
    from cutover.workflows.decisions import (
        DecisionQuery,
        DecisionRefusal,
        Verb,
        decision_refusal,
    )
    from cutover.workflows.details import current_details
    from cutover.workflows.handler_help import (
        CONTROL_EXAMPLE,
        DECISION_EXAMPLE,
    )
    from cutover.workflows.leases import LeaseRequest, MigrationLeasesWorkflow
    from cutover.workflows.options import (
        CHILD_TASK_TIMEOUT,
        CONTINUOUS_ANALYSIS,
        FORWARD,
        HEARTBEAT_WAITS,
        INTERRUPTIBLE_STEPS,
        LEASE_TIMEOUT,
        OUTCOME_ATTRIBUTE,
        PREPARE_TARGET,
        PROVISION_TIMEOUT,
        ROBUST_ANALYSIS,
        UNDO,
        UNDO_RETRY,
        WORKLOAD_LEASES,
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
    from cutover.workflows.v05.history_budget import HISTORY_EVENT_LIMIT, HISTORY_SIZE_GUARD, history_guard
    from cutover.workflows.waits import rollout_failure
    from cutover.workflows.watching import counted, evidence, failure

SYSTEM = "cutover"
NOT_RUNNING = "the migration is not running"
INPUT_EVENTS = frozenset({EventKind.REFUSED, EventKind.PAUSED, EventKind.RESUMED})
INPUT_LOG_LINES = 10  # per workflow task; the timeline keeps every one
INCONCLUSIVE_HELP = (
    "paused: `resume` goes on to the next step without a verdict on this one; for verdicts, `abort` "
    "and start a plan with a longer traffic.bake, a lower analysis.min_requests or "
    "analysis.on_inconclusive: extend"
)
Payload = TypeVar("Payload", bound=SignalPayload)
In = TypeVar("In")
Out = TypeVar("Out")


class MigrationStopped(Exception):
    """Raised inside the workflow when the migration must roll back."""


@dataclass(frozen=True)
class Undo(Generic[In]):
    """One step of the rollback: an activity method and its input, a pair mypy checks."""

    description: str
    method: Callable[[MigrationActivities, In], object]
    arg: In
    wait: timedelta | None = None  # set for an activity that polls (and heartbeats) up to this long

    def config(self) -> workflow.ActivityConfig:
        return heartbeating(self.wait, UNDO_RETRY) if self.wait else UNDO


class MigrationV05:
    """Inputs are taken untyped and read defensively: nothing anyone sends can fail a workflow task."""

    def __init__(self, *inputs: object) -> None:
        plan = read_plan_input(inputs)
        self._invalid_plan = plan if isinstance(plan, str) else ""
        self._plan = plan if isinstance(plan, Plan) else None
        name = self._plan.name if self._plan else "(invalid plan)"
        self._status = MigrationStatus(plan_name=name, gates=self._plan.gate_order() if self._plan else [])
        self._history_guard = history_guard(self._plan) if self._plan else 0
        self._undos: list[Undo[Any]] = []
        self._decision: GateDecision | None = None
        self._rejected: GateDecision | None = None
        self._abort: Control | None = None
        self._retry_undo = False
        self._inventory = Inventory(workloads=[])
        self._evidence: dict[str, State] = {}  # per exposed service, across its looks
        self._analysed_steps = 0  # bakes and monitoring windows watched so far: their share of alpha
        self._lease_keepers: list[workflow.ChildWorkflowHandle[Any, Any]] = []
        self._input_logs: tuple[datetime | None, int] = (None, 0)

    # ---- signals and query ----------------------------------------------------------------
    def approve(self, *inputs: object) -> None:
        decision = self._read("approve", inputs, GateDecision, DECISION_EXAMPLE)
        if decision and self._accept(decision, "approve"):
            self._decision = decision
            self._answer(decision, "approve", True, f"approval of gate {decision.gate} recorded")

    def reject(self, *inputs: object) -> None:
        decision = self._read("reject", inputs, GateDecision, DECISION_EXAMPLE)
        if decision and self._accept(decision, "reject"):
            self._rejected = decision
            self._answer(
                decision, "reject", True, f"rejection of gate {decision.gate} recorded: rolling back"
            )

    def pause(self, *inputs: object) -> None:
        control = self._read("pause", inputs, Control, CONTROL_EXAMPLE)
        if control is None:
            return
        if self._status.paused:
            self._answer(control, "pause", True, "already paused")
            return
        self._status.paused = True
        self._flip(EventKind.PAUSED, control.reason or "paused", control.sender)
        self._answer(control, "pause", True, "paused: the migration holds at the next step boundary")

    def resume(self, *inputs: object) -> None:
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

    def abort(self, *inputs: object) -> None:
        control = self._read("abort", inputs, Control, CONTROL_EXAMPLE)
        if control is None:
            return
        if self._abort is not None:
            self._answer(control, "abort", True, f"already aborted by {self._abort.sender}")
            return
        self._abort = control
        self._event(EventKind.ABORT, control.reason or "abort requested", control.sender)
        self._answer(control, "abort", True, "abort recorded: rolling back to blue")

    def status(self) -> MigrationStatus:
        return self._status

    def decision_refusal(self, *inputs: object) -> DecisionRefusal | None:
        """Why approve / reject would be refused now, by the rule the signals apply; None if taken."""
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
        """Roll back while Temporal still lets the workflow act: a flood of signals must not cut it off."""
        info = workflow.info()
        length, size = info.get_current_history_length(), info.get_current_history_size()
        if self._abort or self._plan is None or (length < self._history_guard and size < HISTORY_SIZE_GUARD):
            return
        self._abort = Control(
            sender=SYSTEM,
            reason=f"the workflow history is nearly full ({length:,} events, {size / 1e6:.1f} MB; Temporal "
            f"ends a workflow at {HISTORY_EVENT_LIMIT:,} events or 50 MB): rolling back while it still can",
        )
        self._event(EventKind.ABORT, self._abort.reason)

    # ---- spine ----------------------------------------------------------------------------
    async def run(self) -> MigrationStatus:
        if self._plan is None:
            # Started from the UI or the raw CLI with a plan `cutover plan validate` would refuse.
            raise ApplicationError(self._invalid_plan, type="InvalidPlan", non_retryable=True)
        workflow.upsert_search_attributes([MIGRATION_PLAN.value_set(self._plan.name)])
        self._set_outcome_attribute()
        try:
            await self._preparation()
            await self._non_exposed_migration()
            await self._parallel_operation()
            await self._validation()
            await self._full_cutover()
            self._status.outcome = Outcome.SUCCEEDED
        except (MigrationStopped, Interrupted, ActivityError, ChildWorkflowError) as stop:
            await self._rollback(_reason(stop))
        await self._release_leases()
        await self._review()
        return self._status

    @property
    def plan(self) -> Plan:
        assert self._plan is not None, "run() refuses an invalid plan before any step"
        return self._plan

    async def _preparation(self) -> None:
        self._enter(Phase.PREPARATION)
        workflow.deprecate_patch(WORKLOAD_LEASES)
        await self._take_leases()
        self._step("discover and classify workloads in blue; record blue's state")
        self._inventory = await self._act(MigrationActivities.discover, self.plan, FORWARD)
        for w in self._inventory.workloads:
            self._event(
                EventKind.DISCOVERED,
                f"{w.service}: {w.kind}/{w.name} "
                f"{'exposed' if w.exposed else 'non-exposed'}, {w.replicas} replicas",
            )
        workflow.deprecate_patch(PREPARE_TARGET)
        self._step("make sure green can schedule the migrated namespaces")
        capacity = TargetCapacity(namespaces=sorted({w.namespace for w in self._inventory.workloads}))
        provisioning = heartbeating(PROVISION_TIMEOUT)
        prepared = await self._act(MigrationActivities.prepare_target, capacity, provisioning)
        self._event(EventKind.TARGET, prepared)
        self._status.weights = dict(self._inventory.blue_weights)
        self._update_traffic_attribute()
        await self._checkpoint()

    async def _take_leases(self) -> None:
        """Own every planned workload in blue and green before anything is read or changed."""
        self._step("lease the plan's workloads in blue and green")
        holder = workflow.info().workflow_id
        for role, env in (("source", self.plan.source.name), ("target", self.plan.target.name)):
            try:
                keeper = await workflow.start_child_workflow(
                    MigrationLeasesWorkflow.run,
                    LeaseRequest(holder=holder, workloads=planned_workloads(self.plan, env)),
                    id=keeper_id(holder, role),
                    task_timeout=CHILD_TASK_TIMEOUT,
                    parent_close_policy=workflow.ParentClosePolicy.TERMINATE,
                )
            except WorkflowAlreadyStartedError:
                raise MigrationStopped(f"lease keeper {keeper_id(holder, role)} already runs") from None
            self._lease_keepers.append(keeper)
        keepers = [keeper.id for keeper in self._lease_keepers]
        check = LeaseCheck(keepers=keepers, timeout=LEASE_TIMEOUT)
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
        if not self._lease_keepers:
            return
        await asyncio.gather(
            *(keeper.signal(MigrationLeasesWorkflow.release) for keeper in self._lease_keepers),
            return_exceptions=True,
        )
        await asyncio.gather(*self._lease_keepers, return_exceptions=True)
        self._event(EventKind.LEASES, "gave the plan's workloads back")

    async def _non_exposed_migration(self) -> None:
        self._enter(Phase.NON_EXPOSED)
        services = [w for w in self._inventory.workloads if not w.exposed]
        size = self.plan.non_exposed.batch_size
        batches = [services[i : i + size] for i in range(0, len(services), size)]
        for number, batch in enumerate(batches, start=1):
            names = [w.service for w in batch]
            self._step(f"batch {number}/{len(batches)}: {', '.join(names)}")
            self._event(EventKind.BATCH, f"batch {number}/{len(batches)}: {', '.join(names)}")
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
        self._register_undo(f"remove {workload.service} from green", MigrationActivities.remove_copy, green)
        cronjobs = self.plan.cronjobs
        if workload.kind == WorkloadKind.CRONJOB:
            state = "suspended" if workload.suspended else "enabled"
            self._register_undo(
                f"hand {workload.service}'s schedule back to blue ({state}, as before)",
                MigrationActivities.hand_over_cron,
                CronHandover(
                    service=workload.service,
                    namespace=workload.namespace,
                    name=workload.name,
                    enable_in=self.plan.source.name,
                    disable_in=self.plan.target.name,
                    keep_suspended=workload.suspended,
                    active_jobs_timeout=cronjobs.active_jobs_timeout,
                    since=workflow.now(),
                ),
                wait=cronjobs.active_jobs_timeout,
            )
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
        self._enter(Phase.PARALLEL)
        for w in self._exposed():
            green = self._ref(w, self.plan.target.name)
            self._register_undo(f"remove {w.service} from green", MigrationActivities.remove_copy, green)
            self._step(f"deploy {w.service} to green at 0% traffic")
            await self._act(MigrationActivities.deploy_copy, green, FORWARD)
            workflow.deprecate_patch(HEARTBEAT_WAITS)
            self._step(f"wait for {w.service} to roll out in green")
            failure = await rollout_failure(green, self.plan.rollout.timeout, self._stopper())
            if failure:
                raise MigrationStopped(failure)
        settings = self.plan.parallel_operation
        elapsed = timedelta(0)
        while elapsed < settings.duration:
            wait = min(settings.health_check_interval, settings.duration - elapsed)
            self._step(f"bake side by side: {_fmt(elapsed)} of {_fmt(settings.duration)}")
            await self._sleep(wait)
            elapsed += wait
            await self._health_check_both()

    async def _validation(self) -> None:
        self._enter(Phase.VALIDATION)
        workflow.deprecate_patch(CONTINUOUS_ANALYSIS)
        # At 0% green has no users, so there is nothing to count or compare: check that both
        # answer; the analysis starts with the first traffic step's bake.
        self._step("check green answers before UAT")
        await self._health_check_both()
        await self._gate("uat")
        for weight in self.plan.partial_steps():
            await self._traffic_step(weight)
            await self._gate(traffic_gate(weight))

    async def _full_cutover(self) -> None:
        self._enter(Phase.FULL_CUTOVER)
        await self._gate("full-cutover")
        await self._traffic_step(100)
        self._step("final end-to-end and data checks")
        await self._health_check_both()
        workflow.deprecate_patch(CONTINUOUS_ANALYSIS)
        await self._watch(100, self.plan.monitoring.window, "intensive monitoring")
        self._event(EventKind.CUTOVER, "green serves 100%; blue stays as hot standby")

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
        for w in self._exposed():
            blue_weight = self._inventory.blue_weights.get(w.service, 0)
            self._register_undo(
                f"route {w.service} back to blue ({blue_weight}% green)",
                MigrationActivities.set_green_percent,
                self._weight(w, blue_weight),
                once=True,
            )
            self._step(f"set {w.service} to {weight}% green")
            await self._act(MigrationActivities.set_green_percent, self._weight(w, weight), FORWARD)
            self._status.weights[w.service] = weight
            self._event(EventKind.WEIGHTS, f"{w.service}: {weight}% green")
        self._update_traffic_attribute()
        workflow.deprecate_patch(CONTINUOUS_ANALYSIS)
        await self._watch(weight, self.plan.traffic.bake, f"bake at {weight}%")

    async def _watch(self, weight: int, duration: timedelta, label: str) -> None:
        """Look at every exposed service each analysis.interval while the bake lasts: roll back at the
        first failure, end early on enough evidence if the plan allows, decide at the end."""
        analysis = self.plan.analysis
        self._start_step_evidence()
        elapsed, extended = timedelta(0), False
        series = {w.service: Series() for w in self._exposed()}
        while True:
            wait = min(analysis.interval, duration - elapsed) if duration > elapsed else analysis.interval
            self._step(
                f"{label}: {_fmt(elapsed)} of {_fmt(duration)}, a look every {_fmt(analysis.interval)}"
            )
            await self._sleep(wait)
            elapsed += wait
            final = elapsed >= duration
            may_end = final or (analysis.bake_min is not None and elapsed >= analysis.bake_min)
            looks = await self._look(wait, may_end)
            for look in looks:
                series[look.service] = series[look.service].add(counted(look))
            self._status.watching = [evidence(look, weight, series[look.service]) for look in looks]
            failed = next((look for look in looks if look.verdict is Verdict.FAIL), None)
            passed = all(look.verdict is Verdict.PASS for look in looks)
            if not (failed or final or (may_end and passed)):
                continue
            self._status.watching = []
            for look in looks:
                self._status.add_analysis(evidence(look, weight, series[look.service]))
                self._event(EventKind.ANALYSIS, f"{label} {look.service}: {look.verdict.value}")
            if failed:
                raise MigrationStopped(failure(label, failed))
            undecided = [look for look in looks if look.verdict is Verdict.INCONCLUSIVE]
            if not undecided:
                return
            if analysis.on_inconclusive is InconclusiveAction.EXTEND and not extended:
                elapsed, extended = timedelta(0), True
                continue
            reasons = "; ".join(f"{look.service}: {', '.join(look.reasons)}" for look in undecided)
            if analysis.on_inconclusive is InconclusiveAction.ROLLBACK:
                raise MigrationStopped(f"{label} inconclusive: {reasons}")
            self._status.paused = True
            self._event(EventKind.PAUSED, f"{label} inconclusive ({reasons}); {INCONCLUSIVE_HELP}")
            await self._checkpoint()
            return

    def _start_step_evidence(self) -> None:
        """A bake or the monitoring window starts: every exposed service's evidence starts this
        step's tests with their share of alpha (spread_alpha)."""
        analysis, index = self.plan.analysis, self._analysed_steps
        self._analysed_steps += 1
        workflow.deprecate_patch(ROBUST_ANALYSIS)
        alpha = analysis.step_alphas(self.plan.traffic.steps)[index]
        limits = analysis.decision_limits()
        for w in self._exposed():
            state = self._evidence.get(w.service) or State()
            self._evidence[w.service] = state.next_step(alpha, limits)

    async def _look(self, window: timedelta, final: bool) -> Sequence[ServiceLook]:
        request = LookRequest(
            services=[
                Watched(service=w.service, namespace=w.namespace, state=self._evidence[w.service])
                for w in self._exposed()
            ],
            blue_env=self.plan.source.name,
            green_env=self.plan.target.name,
            window_seconds=window.total_seconds(),
            interval_seconds=self.plan.analysis.interval.total_seconds(),
            limits=self.plan.analysis.decision_limits(),
            final=final,
        )
        looks = await self._act(MigrationActivities.look_at_counts, request, FORWARD)
        for look in looks:
            self._evidence[look.service] = look.state
        return looks

    async def _health_check_both(self) -> None:
        for w in self._exposed():
            for env in (self.plan.source.name, self.plan.target.name):
                check = await self._act(MigrationActivities.check_health, self._ref(w, env), FORWARD)
                if not check.healthy:
                    raise MigrationStopped(f"health check failed: {w.service} in {env}")
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
    def _register_undo(
        self,
        description: str,
        method: Callable[[MigrationActivities, In], object],
        arg: In,
        once: bool = False,
        wait: timedelta | None = None,
    ) -> None:
        if once and any(u.description == description for u in self._undos):
            return
        self._undos.append(Undo(description, method, arg, wait))

    async def _rollback(self, reason: str) -> None:
        self._enter(Phase.ROLLING_BACK)
        self._status.outcome_reason = reason
        self._status.open_gate = None
        self._event(EventKind.ROLLBACK, f"rolling back: {reason}")
        while self._undos:
            undo = self._undos[-1]
            self._step(f"undo: {undo.description}")
            try:
                await call(undo.method, undo.arg, undo.config())
            except ActivityError as error:
                self._status.stuck_undo = undo.description
                self._event(
                    EventKind.UNDO_STUCK,
                    f"undo '{undo.description}' keeps failing ({_reason(error)}); send resume to retry",
                )
                self._step(f"STUCK: undo '{undo.description}' waits for a human (resume)")
                self._retry_undo = False
                await workflow.wait_condition(lambda: self._retry_undo)
                self._status.stuck_undo = None
                continue
            self._undos.pop()
            self._event(EventKind.UNDO, undo.description)
        for service in self._status.weights:
            self._status.weights[service] = self._inventory.blue_weights.get(service, 0)
        self._update_traffic_attribute()
        self._status.outcome = Outcome.ROLLED_BACK
        self._event(EventKind.ROLLBACK, "blue serves everything it served before the migration")

    # ---- helpers --------------------------------------------------------------------------
    def _stopper(self) -> Stop:
        """What interrupts a step in flight: an abort."""
        workflow.deprecate_patch(INTERRUPTIBLE_STEPS)
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
        workflow.deprecate_patch(OUTCOME_ATTRIBUTE)
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
