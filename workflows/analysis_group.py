"""AnalysisGroupWorkflow: a group of exposed services watched from the first bake to the end of monitoring.

The migration starts one group per GROUP_SIZE exposed services and tells each, step by step, to
watch (`watch` signal: the step's weight, length and share of alpha). A group looks every
analysis.interval (a timer, then one count_looks activity for its services), judges each look here
(cutover.analysis.looks.judge: the evidence never leaves this workflow) and reports the step's
outcome to the migration (`group_report` signal) when a service fails, or when the step ends. It
continues as new every LOOKS_PER_RUN looks with the evidence's few numbers per service, so a
week-long monitoring window at one-minute looks stays within Temporal's history bounds.
"""

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.analysis.counting import Counted, Counting, CountRequest
    from cutover.analysis.decision import Limits, State, StepAlpha
    from cutover.analysis.looks import ServiceLook, judge
    from cutover.analysis.verdict import Verdict
    from cutover.models import AnalysisResult, JournalPage, JournalPageRequest, Series
    from cutover.plan.history_budget import LOOKS_PER_RUN
    from cutover.plan.model import InconclusiveAction
    from cutover.workflows.calls import call
    from cutover.workflows.metrics import record_looks
    from cutover.workflows.options import FORWARD, JOURNAL
    from cutover.workflows.watching import counted, evidence, failure


class Member(BaseModel):
    service: str
    namespace: str


class StepOrder(BaseModel):
    """One bake (or the monitoring window) to watch."""

    step: int = Field(description="the analysed step's index: bakes in order, then monitoring")
    weight: int
    duration: timedelta
    alpha: StepAlpha
    label: str


class GroupReport(BaseModel):
    """How one step ended for one group: FAIL at once, else PASS or INCONCLUSIVE at the step's end."""

    group: int
    key: str = Field(description="the group's key from its input: the migration takes no other report")
    step: int
    verdict: Verdict
    failure: str = Field(default="", description="why it failed, or why it could not decide")
    results: list[AnalysisResult]


class GroupCarry(BaseModel):
    """What a group's next run needs: the evidence and the step in progress."""

    states: dict[str, State] = Field(default_factory=dict)
    order: StepOrder | None = None
    pending: list[StepOrder] = Field(default_factory=list)
    elapsed: timedelta = timedelta(0)
    extended: bool = False
    first_bake: list[AnalysisResult] = Field(
        default_factory=list, description="the looks that ended the first bake, when it was extended"
    )
    series: dict[str, Series] = Field(default_factory=dict)


class GroupInput(BaseModel):
    migration_id: str
    group: int
    key: str
    services: list[Member]
    blue_env: str
    green_env: str
    interval: timedelta
    bake_min: timedelta | None
    limits: Limits
    on_inconclusive: InconclusiveAction
    carry: GroupCarry = Field(default_factory=GroupCarry)


@workflow.defn(name="AnalysisGroup")
class AnalysisGroupWorkflow:
    """Runs until the migration sends `finish` or ends (the TERMINATE parent-close policy)."""

    def __init__(self) -> None:
        self._carry = GroupCarry()
        self._finished = False
        self._watching: list[AnalysisResult] = []
        self._looks = 0  # in this run

    @workflow.run
    async def run(self, request: GroupInput) -> None:
        self._request, self._carry = request, request.carry
        while True:
            await workflow.wait_condition(
                lambda: self._finished or self._carry.order is not None or bool(self._carry.pending)
            )
            if self._finished:
                return
            if self._carry.order is None:
                self._start(self._carry.pending.pop(0))
            await self._watch()

    @workflow.signal(name="watch", description="Watch one step (the migration sends this).")
    def watch(self, order: StepOrder) -> None:
        self._carry.pending.append(order)

    @workflow.signal(name="finish", description="The migration is done with its analysis.")
    def finish(self) -> None:
        self._finished = True

    @workflow.query(name="watching", description="The latest look per service while a step is watched.")
    def watching(self) -> list[AnalysisResult]:
        return self._watching

    def _start(self, order: StepOrder) -> None:
        """A new step: each service's evidence starts this step's tests (decision.State.next_step)."""
        limits = self._request.limits
        states = self._carry.states
        for member in self._request.services:
            states[member.service] = states.get(member.service, State()).next_step(order.alpha, limits)
        self._carry.order, self._carry.elapsed, self._carry.extended = order, timedelta(0), False
        self._carry.first_bake = []
        self._carry.series = {m.service: Series() for m in self._request.services}

    async def _watch(self) -> None:
        """Look each interval until the step is decided; report it."""
        order, request = self._carry.order, self._request
        assert order is not None
        while True:
            if self._looks >= LOOKS_PER_RUN:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(request.model_copy(update={"carry": self._carry}))
            elapsed, duration = self._carry.elapsed, order.duration
            wait = min(request.interval, duration - elapsed) if duration > elapsed else request.interval
            try:
                await workflow.wait_condition(lambda: self._finished, timeout=wait)
                return
            except TimeoutError:
                pass
            self._carry.elapsed = elapsed = elapsed + wait
            final = elapsed >= duration
            may_end = final or (request.bake_min is not None and elapsed >= request.bake_min)
            try:
                looks = await self._look(wait, may_end)
            except ActivityError as error:
                await self._report(Verdict.FAIL, f"{order.label}: the metrics could not be read ({error})")
                return
            failed = next((look for look in looks if look.verdict is Verdict.FAIL), None)
            if failed:
                await self._report(Verdict.FAIL, failure(order.label, failed))
                return
            if not (final or (may_end and all(look.verdict is Verdict.PASS for look in looks))):
                continue
            undecided = any(look.verdict is Verdict.INCONCLUSIVE for look in looks)
            if (
                undecided
                and request.on_inconclusive is InconclusiveAction.EXTEND
                and not self._carry.extended
            ):
                self._carry.elapsed, self._carry.extended = timedelta(0), True
                self._carry.first_bake = self._watching
                continue
            if not undecided:
                await self._report(Verdict.PASS)
                return
            reasons = [f"{look.service}: {', '.join(look.reasons)}" for look in looks if look.reasons]
            await self._report(Verdict.INCONCLUSIVE, "; ".join(reasons))
            return

    async def _look(self, window: timedelta, final: bool) -> list[ServiceLook]:
        request, order, states = self._request, self._carry.order, self._carry.states
        assert order is not None
        asked = CountRequest(
            services=[
                Counting(
                    service=m.service,
                    namespace=m.namespace,
                    threshold_ms=states[m.service].latency_threshold_ms,
                    learn=states[m.service].baseline_due,
                )
                for m in request.services
            ],
            blue_env=request.blue_env,
            green_env=request.green_env,
            window_seconds=window.total_seconds(),
            interval_seconds=request.interval.total_seconds(),
            limit_ms=request.limits.max_p99_latency_ms,
        )
        counts: list[Counted] = await call(MigrationActivities.count_looks, asked, FORWARD)
        self._looks += 1
        looks = []
        for each in counts:
            state = states[each.service]
            if each.learned is not None:
                state = state.with_learned(each.learned)
            look = judge(each.service, state, each.window, request.limits, window.total_seconds(), final)
            states[each.service] = look.state
            self._carry.series[each.service] = self._carry.series[each.service].add(counted(look))
            looks.append(look)
        self._watching = [evidence(look, order.weight, self._carry.series[look.service]) for look in looks]
        record_looks(request.migration_id, looks)
        return looks

    async def _report(self, verdict: Verdict, why: str = "") -> None:
        order = self._carry.order
        assert order is not None
        report = GroupReport(
            group=self._request.group,
            key=self._request.key,
            step=order.step,
            verdict=verdict,
            failure=why,
            results=[*self._carry.first_bake, *self._watching],
        )
        self._carry.order, self._watching = None, []
        await self._store(order.step, report.results)
        migration = workflow.get_external_workflow_handle(self._request.migration_id)
        await migration.signal("group_report", report)

    async def _store(self, step: int, results: list[AnalysisResult]) -> None:
        """The step's evidence to the report store, as the group's page `step`: the migration keeps
        only the latest decisions, and its run would carry every one twice if it stored them."""
        page = JournalPage(seq=step, events=[], analyses=results)
        request = JournalPageRequest(workflow_id=workflow.info().workflow_id, page=page)
        try:
            await call(MigrationActivities.store_journal, request, JOURNAL)
        except ActivityError:
            pass  # the migration's status keeps the latest decisions; the review says what is missing
