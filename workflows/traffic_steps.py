"""Traffic steps and watching them: every exposed service's weight set at once, then the analysis
groups (children that keep the evidence) watch the bake; health rounds check both environments."""

import asyncio
from datetime import timedelta
from functools import partial

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import Copies, MigrationActivities, WeightChanges
    from cutover.analysis.verdict import Verdict
    from cutover.journal import analysis_group_id
    from cutover.models import EventKind
    from cutover.notify.events import NotificationKind
    from cutover.plan.checks import Stage
    from cutover.plan.history_budget import GROUP_SIZE
    from cutover.plan.model import InconclusiveAction
    from cutover.workflows.analysis_group import (
        AnalysisGroupWorkflow,
        GroupInput,
        GroupReport,
        Member,
        StepOrder,
    )
    from cutover.workflows.checks import Watcher
    from cutover.workflows.migration_state import (
        MigrationStopped,
        chunks,
        fmt,
        innermost_reason,
        names,
    )
    from cutover.workflows.options import FORWARD, LONG_CHILD_TASK_TIMEOUT
    from cutover.workflows.summaries import group_summary
    from cutover.workflows.uat_access import UatAccess

INCONCLUSIVE_HELP = (
    "paused: `resume` goes on to the next step without a verdict on this one; for verdicts, `abort` "
    "and start a plan with a longer traffic.bake, a lower analysis.min_requests or "
    "analysis.on_inconclusive: extend"
)


class TrafficSteps(UatAccess):
    async def _traffic_step(self, weight: int) -> None:
        await self._start_groups()  # before traffic moves, so the bake's watch starts at once
        exposed = self._exposed()
        self._undo.routed = True  # before the change: one cut off half-way is routed back too
        self._step(f"set {names([w.service for w in exposed])} to {weight}% green")
        changes = WeightChanges(changes=[self._weight(w, weight) for w in exposed])
        await self._act(MigrationActivities.set_weights, changes, FORWARD)
        for w in exposed:
            self._status.weights[w.service] = weight
        self._event(EventKind.WEIGHTS, f"{names([w.service for w in exposed])}: {weight}% green")
        self._update_traffic_attribute()
        await self._watch(weight, self.plan.traffic.bake, f"bake at {weight}%", Stage.TRAFFIC_STEP)
        await self._run_checks(Stage.TRAFFIC_STEP, weight)

    async def _watch(self, weight: int, duration: timedelta, label: str, stage: Stage) -> None:
        """Every analysis group watches the step, and the step's continuous checks run at each look;
        the first failure rolls back, the step ends when every group has reported."""
        index = self._carry.analysed_steps
        self._carry.analysed_steps += 1
        self._stop_if_aborted()
        await self._start_groups()
        at_weight = weight if stage is Stage.TRAFFIC_STEP else None
        watcher = await self._start_continuous(stage, at_weight, index)
        try:
            await self._watch_groups(index, weight, duration, label, watcher)
            await self._end_continuous(watcher, label)
        finally:
            await self._cancel_continuous(watcher)
        await self._checkpoint()

    async def _watch_groups(
        self, index: int, weight: int, duration: timedelta, label: str, watcher: Watcher | None
    ) -> None:
        analysis = self.plan.analysis
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
            f"{label}: {fmt(duration)}, a look every {fmt(analysis.interval)} at "
            f"{len(self._exposed())} services in {len(self._groups)} analysis group(s)"
        )
        while True:
            await workflow.wait_condition(partial(self._step_decided, watcher))
            self._stop_if_aborted()
            if watcher is None or not watcher.done():
                break
            await self._continuous_stopped(watcher, label)  # a pause holds after the step
            watcher = None
        ended = next((group for group in self._groups if group.done()), None)
        if ended is not None and len(self._reports) < len(self._groups):
            why = innermost_reason(ended.exception() or RuntimeError("it ended"))
            raise MigrationStopped(f"{label}: analysis group {ended.id} stopped: {why}")
        reports = sorted(self._reports.values(), key=lambda r: r.group)
        for report in reports:
            for result in report.results:
                self._decided(result)
                self._event(EventKind.ANALYSIS, f"{label} {result.service}: {result.verdict}")
        await self._flush_journal()
        failed = next((r for r in reports if r.verdict is Verdict.FAIL), None)
        if failed:
            evidence = [f"{r.service}: {r.verdict}" for r in failed.results if r.verdict != "pass"]
            self._notify(NotificationKind.ANALYSIS_FAILED, failed.failure, evidence=evidence)
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

    def _step_decided(self, watcher: Watcher | None) -> bool:
        """Aborted, every group reported (or one failed or ended), or the continuous checks stopped."""
        return (
            bool(self._abort)
            or len(self._reports) == len(self._groups)
            or any(r.verdict is Verdict.FAIL for r in self._reports.values())
            or any(group.done() for group in self._groups)
            or (watcher is not None and watcher.done())
        )

    def _take_report(self, inputs: tuple[object, ...]) -> None:
        """Taken only from this migration's own groups (their key) for the step being watched."""
        if len(inputs) != 1 or not self._group_key:
            return
        try:
            report = GroupReport.model_validate(inputs[0])
        except ValueError:
            return
        if report.key == self._group_key and report.step == self._carry.analysed_steps - 1:
            self._reports[report.group] = report

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
            for number, chunk in enumerate(chunks(exposed, GROUP_SIZE))
        ]
        self._groups = list(
            await asyncio.gather(
                *(
                    workflow.start_child_workflow(
                        AnalysisGroupWorkflow.run,
                        group,
                        id=analysis_group_id(migration, group.group),
                        task_timeout=LONG_CHILD_TASK_TIMEOUT,
                        static_summary=group_summary(migration, group.group, len(group.services)),
                    )
                    for group in inputs
                )
            )
        )
        self._status.analysis_groups = [group.id for group in self._groups]
        self._status.analysis_group_count = len(self._groups)

    async def _finish_groups(self) -> None:
        await asyncio.gather(*(group.signal(AnalysisGroupWorkflow.finish) for group in self._groups))
        await asyncio.gather(*self._groups)
        self._groups, self._status.analysis_groups = [], []

    async def _finish_groups_quietly(self) -> None:
        """The analysis groups are cancelled, once traffic is back at blue."""
        groups, self._groups, self._status.analysis_groups = self._groups, [], []
        for group in groups:
            if not group.done():
                group.cancel()
        await asyncio.gather(*groups, return_exceptions=True)

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
            raise MigrationStopped(f"health check failed: {names(sick)}")
        if record:
            self._event(EventKind.HEALTH, "both environments healthy")
        await self._checkpoint()
