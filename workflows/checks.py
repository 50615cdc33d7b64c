"""The plan's checks at their stages (the UAT stage's while its gate is open): a stage's checks
run together, each result in the timeline, the status and the UI's details; then what a failure
does, by the check's on_fail: roll back, pause with the evidence until a human resumes (or aborts),
or (advisory) nothing but the record. Continuous checks run at every look of a bake or of the
monitoring window, in a child beside the analysis groups (ContinuousChecksWorkflow)."""

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.check_activities import CheckActivities, CheckRun
    from cutover.checks.callback import WebhookCallback, callback_result, token_digest
    from cutover.checks.results import CheckResult, CheckVerdict
    from cutover.models import CheckRecord, EventKind
    from cutover.notify.events import NotificationKind
    from cutover.plan.checks import Check, OnFail, Stage
    from cutover.workflow_inputs import Refused, read_input
    from cutover.workflows.continuous_checks import (
        ContinuousChecksWorkflow,
        ContinuousInput,
        ContinuousOutcome,
    )
    from cutover.workflows.freezing import Freezing
    from cutover.workflows.handler_help import CALLBACK_EXAMPLE
    from cutover.workflows.migration_state import MigrationStopped, fmt, innermost_reason, names
    from cutover.workflows.options import CHILD_TASK_TIMEOUT, checking
    from cutover.workflows.summaries import checks_summary

Watcher = workflow.ChildWorkflowHandle[ContinuousChecksWorkflow, ContinuousOutcome]
UAT_GATE = "uat"


class Checks(Freezing):
    async def _gate(self, name: str) -> None:
        """The UAT stage's checks run while the UAT gate is open; with no approval asked, where it is."""
        if name == UAT_GATE and not self.plan.needs_approval(name):
            await self._run_checks(Stage.UAT)
        await super()._gate(name)

    async def _await_decision(self, name: str) -> bool:
        """At the UAT gate, its checks run while it waits (the testers test meanwhile): a failure that
        rolls back closes it; a decision that came meanwhile is taken once they are done."""
        if name != UAT_GATE or not self._checks_at(Stage.UAT):
            return await super()._await_decision(name)
        waiting = asyncio.create_task(super()._await_decision(name))
        try:
            await self._run_checks(Stage.UAT)
        except BaseException:
            waiting.cancel()
            self._status.open_gate = None
            raise
        self._step(f"waiting for approval of gate {name}")
        return await waiting

    def _checks_at(self, stage: Stage, weight: int | None = None, continuous: bool = False) -> list[Check]:
        return [
            check
            for check in self.plan.checks
            if check.runs_at(stage, weight) and check.continuous == continuous
        ]

    async def _start_continuous(self, stage: Stage, weight: int | None, step: int) -> Watcher | None:
        """The step's continuous checks, at every look until `_end_continuous` (none: None)."""
        checks = self._checks_at(stage, weight, continuous=True)
        if not checks:
            return None
        migration = workflow.info().workflow_id
        request = ContinuousInput(
            migration_id=migration,
            stage=stage,
            weight=weight,
            checks=checks,
            interval=self.plan.analysis.interval,
            blue_env=self.plan.source.name,
            green_env=self.plan.target.name,
        )
        self._step(f"checks at every look: {names([c.name for c in checks])}")
        return await workflow.start_child_workflow(
            ContinuousChecksWorkflow.run,
            request,
            id=f"{migration}/checks-{step}",
            task_timeout=CHILD_TASK_TIMEOUT,
            static_summary=checks_summary(migration, [c.name for c in checks], stage, weight),
        )

    async def _continuous_stopped(self, watcher: Watcher, where: str) -> None:
        """The watcher ended before the step did: a failure that rolls back stops the migration, one
        that pauses holds it (the analysis goes on watching meanwhile)."""
        try:
            outcome = watcher.result()
        except ChildWorkflowError as error:
            why = innermost_reason(error)
            raise MigrationStopped(f"checks at every look at {where} stopped: {why}") from error
        self._record_continuous(outcome, where)
        stopped = outcome.stopped_by
        if stopped is None:
            return
        why = f"check {stopped.result.check} at {where}: {stopped.result.verdict}: {stopped.result.summary}"
        if stopped.on_fail == OnFail.ROLLBACK.value:
            raise MigrationStopped(why)
        self._status.paused = True
        self._event(EventKind.PAUSED, f"{why}: paused; `resume` goes on, `abort` rolls back")

    async def _end_continuous(self, watcher: Watcher | None, where: str) -> None:
        """The step is over: the watcher's outcome recorded (a failure now is judged as at any look)."""
        if watcher is None or watcher.done():
            return
        await watcher.signal(ContinuousChecksWorkflow.finish)
        await workflow.wait_condition(watcher.done)
        await self._continuous_stopped(watcher, where)

    @staticmethod
    async def _cancel_continuous(watcher: Watcher | None) -> None:
        if watcher is not None and not watcher.done():
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    def _record_continuous(self, outcome: ContinuousOutcome, where: str) -> None:
        """Where each run of advisory failures began, then each check's latest result (or the one that
        stopped it) unless it still fails as just told."""
        latest = {record.result.check: record for record in outcome.latest}
        if outcome.stopped_by is not None:
            latest[outcome.stopped_by.result.check] = outcome.stopped_by
        told = {record.result.check for record in outcome.failures}
        last = [record for check, record in latest.items() if record.result.passed or check not in told]
        for record in [*outcome.failures, *last]:
            self._status.add_check(record)
            result, at = record.result, f"{where} ({outcome.looks} looks)"
            line = f"check {result.check} at {at}: {result.verdict} ({result.summary})"
            self._event(EventKind.CHECK, line)
            if not result.passed:
                self._notify(NotificationKind.CHECK_FAILED, line, evidence=result.evidence())

    async def _run_checks(self, stage: Stage, weight: int | None = None) -> None:
        """The stage's checks, together; the first rollback failure rolls back, a pause failure holds."""
        checks = self._checks_at(stage, weight)
        if not checks:
            return
        where = f"{stage.value}" + (f" at {weight}%" if weight is not None else "")
        self._step(f"checks at {where}: {names([c.name for c in checks])}")
        results = await asyncio.gather(*(self._run_check(check, stage, weight) for check in checks))
        for check, result in zip(checks, results, strict=True):
            record = CheckRecord(stage=stage.value, weight=weight, on_fail=check.on_fail.value, result=result)
            self._status.add_check(record)
            line = f"check {check.name} at {where}: {result.verdict} ({result.summary})"
            self._event(EventKind.CHECK, line)
            if not result.passed:
                self._notify(NotificationKind.CHECK_FAILED, line, evidence=result.evidence())
        failed = [(check, result) for check, result in zip(checks, results, strict=True) if not result.passed]
        blocking = next((pair for pair in failed if pair[0].on_fail is OnFail.ROLLBACK), None)
        if blocking:
            check, result = blocking
            raise MigrationStopped(f"check {check.name} at {where}: {result.verdict}: {result.summary}")
        held = [check.name for check, _ in failed if check.on_fail is OnFail.PAUSE]
        if held:
            self._status.paused = True
            why = f"check {', '.join(held)} at {where} did not pass"
            self._event(EventKind.PAUSED, f"{why}: paused; `resume` goes on, `abort` rolls back")
        await self._checkpoint()

    async def _run_check(self, check: Check, stage: Stage, weight: int | None) -> CheckResult:
        """The check's result; one that could not run at all (a worker's missing secret, a lost
        worker) is an error result, judged by on_fail like any other."""
        run = CheckRun(
            migration_id=workflow.info().workflow_id,
            stage=stage,
            weight=weight,
            check=check,
            blue_env=self.plan.source.name,
            green_env=self.plan.target.name,
            green_percent=dict(self._status.weights),
        )
        started = workflow.now()
        try:
            result = await self._act(CheckActivities.run_check, run, checking(check.timeout))
        except ActivityError as error:
            return CheckResult(
                check=check.name, kind=check.kind, verdict=CheckVerdict.ERROR, summary=innermost_reason(error)
            )
        if result.awaiting is None:
            return result
        return await self._await_callback(check, result.awaiting, check.timeout - (workflow.now() - started))

    async def _await_callback(self, check: Check, digest: str, left: timedelta) -> CheckResult:
        """The webhook's verdict from its callback (the check_callback Update), or an error result
        once the check's timeout has passed; an abort stops the wait."""
        self._awaiting[check.name] = digest
        self._step(f"check {check.name}: waiting up to {fmt(left)} for its callback (check_callback)")
        waited = workflow.now()
        try:
            await workflow.wait_condition(
                lambda: check.name in self._callbacks or bool(self._abort), timeout=max(left, timedelta(0))
            )
        except TimeoutError:
            return CheckResult(
                check=check.name,
                kind=check.kind,
                verdict=CheckVerdict.ERROR,
                summary=f"no callback within the check's timeout ({fmt(check.timeout)})",
            )
        finally:
            del self._awaiting[check.name]
        self._stop_if_aborted()
        seconds = (workflow.now() - waited).total_seconds()
        return callback_result(self._callbacks.pop(check.name), seconds)

    def _read_callback(self, inputs: Sequence[object]) -> WebhookCallback | str:
        """The callback to take now, or why not in one line (never echoing the token)."""
        read = read_input(inputs, WebhookCallback, CALLBACK_EXAMPLE)
        if isinstance(read, Refused):
            return f"callback refused: {read.reason}"
        if read.check not in self._awaiting:
            waiting = ", ".join(sorted(self._awaiting)) or "none"
            return f"callback refused: check {read.check!r} awaits no callback now (awaiting: {waiting})"
        if token_digest(read.token) != self._awaiting[read.check]:
            return f"callback refused: token: not the one check {read.check}'s delivery carried"
        return read
