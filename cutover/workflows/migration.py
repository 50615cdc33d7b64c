"""MigrationWorkflow: one durable slow-injection blue-green migration, plan to review."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.activities.polling import HEARTBEAT_TIMEOUT
    from cutover.durations import format_duration
    from cutover.logs import get_logger
    from cutover.models import (
        AnalysisRequest,
        AnalysisResult,
        Control,
        CronHandover,
        Event,
        GateDecision,
        Inventory,
        MigrationStatus,
        OpenGate,
        Outcome,
        Phase,
        ReportRequest,
        ServiceRef,
        TargetCapacity,
        WeightChange,
        Workload,
    )
    from cutover.plan import Plan, RetireMode, TimeoutAction, traffic_gate
    from cutover.workflows.options import (
        ACTIVITY_TIMEOUT,
        FORWARD_RETRY,
        HEARTBEAT_WAITS,
        PREPARE_TARGET,
        PROVISION_TIMEOUT,
        UNDO_RETRY,
    )
    from cutover.workflows.search_attributes import (
        GREEN_TRAFFIC_PERCENT,
        MIGRATION_PHASE,
        MIGRATION_PLAN,
    )
    from cutover.workflows.service_migration import (
        ServiceMigrationInput,
        ServiceMigrationWorkflow,
    )
    from cutover.workflows.waits import execute_wait, rollout_failure

SYSTEM = "cutover"


class MigrationStopped(Exception):
    """Raised inside the workflow when the migration must roll back."""


@dataclass
class Undo:
    description: str
    activity: Callable[..., Any]
    arg: Any
    wait: timedelta | None = None  # set for an activity that polls (and heartbeats) up to this long


@workflow.defn
class MigrationWorkflow:
    @workflow.init
    def __init__(self, plan: Plan) -> None:
        self._plan = plan
        self._status = MigrationStatus(plan_name=plan.name, gates=plan.gate_order())
        self._undos: list[Undo] = []
        self._decision: GateDecision | None = None
        self._rejected: GateDecision | None = None
        self._abort: Control | None = None
        self._retry_undo = False
        self._inventory = Inventory(workloads=[])

    # ---- signals and query ----------------------------------------------------------------
    @workflow.signal
    def approve(self, decision: GateDecision) -> None:
        if self._accept(decision, "approve"):
            self._decision = decision

    @workflow.signal
    def reject(self, decision: GateDecision) -> None:
        if self._accept(decision, "reject"):
            self._rejected = decision

    @workflow.signal
    def pause(self, control: Control) -> None:
        self._status.paused = True
        self._event("paused", control.reason or "paused", control.sender)

    @workflow.signal
    def resume(self, control: Control) -> None:
        if self._status.stuck_undo:
            self._retry_undo = True
        self._status.paused = False
        self._event("resumed", control.reason or "resumed", control.sender)

    @workflow.signal
    def abort(self, control: Control) -> None:
        if self._abort is None:
            self._abort = control
            self._event("abort", control.reason or "abort requested", control.sender)

    @workflow.query
    def status(self) -> MigrationStatus:
        return self._status

    def _accept(self, decision: GateDecision, verb: str) -> bool:
        gate = self._status.open_gate
        if gate is None or gate.name != decision.gate:
            open_name = gate.name if gate else "none"
            self._event(
                "refused",
                f"{verb} for gate {decision.gate!r} refused: open gate is {open_name}",
                decision.sender,
            )
            return False
        if decision.sender not in self._plan.gates.approvers:
            self._event(
                "refused",
                f"{verb} of {decision.gate} refused: {decision.sender!r} is not an approver",
                decision.sender,
            )
            return False
        return True

    # ---- spine ----------------------------------------------------------------------------
    @workflow.run
    async def run(self, plan: Plan) -> MigrationStatus:
        workflow.upsert_search_attributes([MIGRATION_PLAN.value_set(plan.name)])
        try:
            await self._preparation()
            await self._non_exposed_migration()
            await self._parallel_operation()
            await self._validation()
            await self._full_cutover()
            self._status.outcome = Outcome.SUCCEEDED
        except (MigrationStopped, ActivityError, ChildWorkflowError) as stop:
            await self._rollback(_reason(stop))
        await self._review()
        return self._status

    async def _preparation(self) -> None:
        self._enter(Phase.PREPARATION)
        self._step("discover and classify workloads in blue; record blue's state")
        self._inventory = await self._act(MigrationActivities.discover, self._plan)
        for w in self._inventory.workloads:
            self._event(
                "discovered",
                f"{w.service}: {w.kind}/{w.name} "
                f"{'exposed' if w.exposed else 'non-exposed'}, {w.replicas} replicas",
            )
        if workflow.patched(PREPARE_TARGET):
            self._step("make sure green can schedule the migrated namespaces")
            capacity = TargetCapacity(namespaces=sorted({w.namespace for w in self._inventory.workloads}))
            prepared = await execute_wait(MigrationActivities.prepare_target, capacity, PROVISION_TIMEOUT)
            self._event("target", prepared)
        self._status.weights = dict(self._inventory.blue_weights)
        self._update_traffic_attribute()
        await self._checkpoint()

    async def _non_exposed_migration(self) -> None:
        self._enter(Phase.NON_EXPOSED)
        services = [w for w in self._inventory.workloads if not w.exposed]
        size = self._plan.non_exposed.batch_size
        batches = [services[i : i + size] for i in range(0, len(services), size)]
        for number, batch in enumerate(batches, start=1):
            names = [w.service for w in batch]
            self._step(f"batch {number}/{len(batches)}: {', '.join(names)}")
            self._event("batch", f"batch {number}/{len(batches)}: {', '.join(names)}")
            limit = self._plan.non_exposed.parallelism
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
        green = self._ref(workload, self._plan.target.name)
        self._register_undo(f"remove {workload.service} from green", MigrationActivities.remove_copy, green)
        cronjobs = self._plan.cronjobs
        if workload.kind == "cronjob":
            state = "suspended" if workload.suspended else "enabled"
            self._register_undo(
                f"hand {workload.service}'s schedule back to blue ({state}, as before)",
                MigrationActivities.hand_over_cron,
                CronHandover(
                    service=workload.service,
                    namespace=workload.namespace,
                    name=workload.name,
                    enable_in=self._plan.source.name,
                    disable_in=self._plan.target.name,
                    keep_suspended=workload.suspended,
                    active_jobs_timeout=cronjobs.active_jobs_timeout,
                ),
                wait=cronjobs.active_jobs_timeout,
            )
        result = await workflow.execute_child_workflow(
            ServiceMigrationWorkflow.run,
            ServiceMigrationInput(
                green=green,
                blue_env=self._plan.source.name,
                blue_suspended=workload.suspended,
                rollout_timeout=self._plan.rollout.timeout,
                active_jobs_timeout=cronjobs.active_jobs_timeout,
                first_run_timeout=cronjobs.first_run_timeout,
            ),
            id=f"{workflow.info().workflow_id}/{workload.service}",
        )
        self._event("migrated", result)

    async def _parallel_operation(self) -> None:
        self._enter(Phase.PARALLEL)
        for w in self._exposed():
            green = self._ref(w, self._plan.target.name)
            self._register_undo(f"remove {w.service} from green", MigrationActivities.remove_copy, green)
            self._step(f"deploy {w.service} to green at 0% traffic")
            await self._act(MigrationActivities.deploy_copy, green)
            if workflow.patched(HEARTBEAT_WAITS):
                self._step(f"wait for {w.service} to roll out in green")
                failure = await rollout_failure(green, self._plan.rollout.timeout)
                if failure:
                    raise MigrationStopped(failure)
        settings = self._plan.parallel_operation
        elapsed = timedelta(0)
        while elapsed < settings.duration:
            wait = min(settings.health_check_interval, settings.duration - elapsed)
            self._step(f"bake side by side: {_fmt(elapsed)} of {_fmt(settings.duration)}")
            await self._sleep(wait)
            elapsed += wait
            await self._health_check_both()

    async def _validation(self) -> None:
        self._enter(Phase.VALIDATION)
        self._step("stress check against green")
        await self._analyse_all(0, "stress check")
        await self._gate("uat")
        self._step("compare blue and green performance")
        await self._analyse_all(0, "blue-vs-green comparison")
        for weight in self._plan.partial_steps():
            await self._traffic_step(weight)
            await self._gate(traffic_gate(weight))

    async def _full_cutover(self) -> None:
        self._enter(Phase.FULL_CUTOVER)
        await self._gate("full-cutover")
        await self._traffic_step(100)
        self._step("final end-to-end and data checks")
        await self._health_check_both()
        monitoring = self._plan.monitoring
        elapsed = timedelta(0)
        while elapsed < monitoring.window:
            wait = min(monitoring.check_interval, monitoring.window - elapsed)
            self._step(f"intensive monitoring: {_fmt(elapsed)} of {_fmt(monitoring.window)}")
            await self._sleep(wait)
            elapsed += wait
            await self._analyse_all(100, "monitoring")
        self._event("cutover", "green serves 100%; blue stays as hot standby")

    async def _review(self) -> None:
        self._status.phase = Phase.REVIEW
        self._step("write the post-release review")
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(Phase.REVIEW.value)])
        path = await workflow.execute_activity_method(
            MigrationActivities.write_report,
            ReportRequest(workflow_id=workflow.info().workflow_id, status=self._status),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=FORWARD_RETRY,
        )
        self._status.report_path = path
        self._status.phase = Phase.DONE
        self._step(f"done: {self._status.outcome.value}")
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(Phase.DONE.value)])
        self._event("review", f"post-release review written to {path}")

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
            await self._act(MigrationActivities.set_green_percent, self._weight(w, weight))
            self._status.weights[w.service] = weight
            self._event("weights", f"{w.service}: {weight}% green")
        self._update_traffic_attribute()
        self._step(f"bake at {weight}% for {_fmt(self._plan.traffic.bake)}")
        await self._sleep(self._plan.traffic.bake)
        self._step(f"analyse at {weight}%")
        await self._analyse_all(weight, f"analysis at {weight}%")

    async def _analyse_all(self, weight: int, label: str) -> None:
        limits = self._plan.analysis
        for w in self._exposed():
            result: AnalysisResult = await self._act(
                MigrationActivities.analyse,
                AnalysisRequest(
                    service=w.service,
                    namespace=w.namespace,
                    blue_env=self._plan.source.name,
                    green_env=self._plan.target.name,
                    weight=weight,
                    **limits.model_dump(),
                ),
            )
            self._status.analyses.append(result)
            verdict = "passed" if result.passed else "FAILED: " + "; ".join(result.reasons)
            self._event("analysis", f"{label} {w.service}: {verdict}")
            if not result.passed:
                raise MigrationStopped(f"{label} failed for {w.service}: {'; '.join(result.reasons)}")
        await self._checkpoint()

    async def _health_check_both(self) -> None:
        for w in self._exposed():
            for env in (self._plan.source.name, self._plan.target.name):
                check = await self._act(MigrationActivities.check_health, self._ref(w, env))
                if not check.healthy:
                    raise MigrationStopped(f"health check failed: {w.service} in {env}")
        self._event("health", "both environments healthy")
        await self._checkpoint()

    # ---- gates, pause, abort --------------------------------------------------------------
    async def _gate(self, name: str) -> None:
        await self._checkpoint()
        if not self._plan.needs_approval(name):
            return
        gates = self._plan.gates
        now = workflow.now()
        self._status.open_gate = OpenGate(
            name=name, approvers=gates.approvers, opened_at=now, deadline=now + gates.timeout
        )
        self._decision = self._rejected = None
        self._step(f"waiting for approval of gate {name}")
        self._event("gate-open", f"gate {name} waits for one of {', '.join(gates.approvers)}")
        decided = await self._wait_for(lambda: self._decision or self._rejected, gates.timeout)
        if not decided and gates.on_timeout == TimeoutAction.ROLLBACK:
            self._event("gate-timeout", f"gate {name} timed out; plan says roll back")
            self._status.open_gate = None
            raise MigrationStopped(f"gate {name} timed out")
        if not decided:
            self._event("gate-timeout", f"gate {name} timed out; paused until a decision")
            self._step(f"gate {name} timed out; waiting for a decision")
            await workflow.wait_condition(lambda: bool(self._decision or self._rejected or self._abort))
        self._status.open_gate = None
        self._stop_if_aborted()
        if self._rejected:
            self._event("rejected", f"gate {name}: {self._rejected.comment}", self._rejected.sender)
            raise MigrationStopped(
                f"gate {name} rejected by {self._rejected.sender}: {self._rejected.comment}"
            )
        assert self._decision is not None
        self._event("approved", f"gate {name}: {self._decision.comment}", self._decision.sender)
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
        if self._abort:
            raise MigrationStopped(f"aborted by {self._abort.sender}: {self._abort.reason}")

    # ---- rollback -------------------------------------------------------------------------
    def _register_undo(
        self,
        description: str,
        activity: Callable[..., Any],
        arg: Any,
        once: bool = False,
        wait: timedelta | None = None,
    ) -> None:
        if once and any(u.description == description for u in self._undos):
            return
        self._undos.append(Undo(description, activity, arg, wait))

    async def _rollback(self, reason: str) -> None:
        self._enter(Phase.ROLLING_BACK)
        self._status.outcome_reason = reason
        self._status.open_gate = None
        self._event("rollback", f"rolling back: {reason}")
        while self._undos:
            undo = self._undos[-1]
            self._step(f"undo: {undo.description}")
            try:
                await workflow.execute_activity(
                    undo.activity,
                    undo.arg,
                    start_to_close_timeout=ACTIVITY_TIMEOUT + (undo.wait or timedelta(0)),
                    heartbeat_timeout=HEARTBEAT_TIMEOUT if undo.wait else None,
                    retry_policy=UNDO_RETRY,
                )
            except ActivityError as error:
                self._status.stuck_undo = undo.description
                self._event(
                    "undo-stuck",
                    f"undo '{undo.description}' keeps failing ({_reason(error)}); send resume to retry",
                )
                self._step(f"STUCK: undo '{undo.description}' waits for a human (resume)")
                self._retry_undo = False
                await workflow.wait_condition(lambda: self._retry_undo)
                self._status.stuck_undo = None
                continue
            self._undos.pop()
            self._event("undo", undo.description)
        for service in self._status.weights:
            self._status.weights[service] = self._inventory.blue_weights.get(service, 0)
        self._update_traffic_attribute()
        self._status.outcome = Outcome.ROLLED_BACK
        self._event("rollback", "blue serves everything it served before the migration")

    # ---- helpers --------------------------------------------------------------------------
    async def _act(self, activity: Callable[..., Awaitable[Any]] | Callable[..., Any], arg: Any) -> Any:
        return await workflow.execute_activity(
            activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=FORWARD_RETRY
        )

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
            keep_at_zero=env == self._plan.target.name
            and self._plan.rollback.green == RetireMode.SCALE_TO_ZERO,
        )

    def _weight(self, w: Workload, green_percent: int) -> WeightChange:
        return WeightChange(
            service=w.service,
            namespace=w.namespace,
            blue_env=self._plan.source.name,
            green_env=self._plan.target.name,
            green_percent=green_percent,
        )

    def _enter(self, phase: Phase) -> None:
        self._status.phase = phase
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(phase.value)])
        self._event("phase", f"entered {phase.value}")

    def _step(self, step: str) -> None:
        self._status.step = step
        self._publish_details()

    def _update_traffic_attribute(self) -> None:
        weights = self._status.weights.values()
        workflow.upsert_search_attributes([GREEN_TRAFFIC_PERCENT.value_set(max(weights, default=0))])

    def _event(self, kind: str, message: str, actor: str = SYSTEM) -> None:
        self._status.timeline.append(Event(time=workflow.now(), actor=actor, kind=kind, message=message))
        if not workflow.unsafe.is_replaying():
            info = workflow.info()
            get_logger(workflow_id=info.workflow_id, run_id=info.run_id, phase=self._status.phase.value).info(
                message, kind=kind, actor=actor
            )
        self._publish_details()

    def _publish_details(self) -> None:
        s = self._status
        lines = [f"**{s.plan_name}** — phase **{s.phase.value}**", "", f"Step: {s.step}"]
        if s.open_gate:
            lines.append(
                f"**Waiting for approval** of gate `{s.open_gate.name}` by "
                f"{', '.join(s.open_gate.approvers)} (until {s.open_gate.deadline:%Y-%m-%d %H:%M} UTC)"
            )
        if s.paused:
            lines.append("**Paused** — send `resume` to continue")
        if s.stuck_undo:
            lines.append(f"**Rollback stuck** at: {s.stuck_undo} — fix it, then send `resume`")
        if s.weights:
            lines.append("Green traffic: " + ", ".join(f"{k} {v}%" for k, v in sorted(s.weights.items())))
        if s.outcome != Outcome.RUNNING:
            lines.append(f"Outcome: **{s.outcome.value}** {s.outcome_reason}")
        workflow.set_current_details("\n\n".join(lines))


def _reason(error: BaseException) -> str:
    """The innermost message: what actually went wrong, not the wrapper's."""
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)


def _fmt(value: timedelta) -> str:
    return format_duration(value)
