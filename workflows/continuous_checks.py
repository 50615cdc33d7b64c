"""ContinuousChecksWorkflow: a step's `continuous: true` checks, run at every analysis look.

The migration starts one for each bake (and the monitoring window) that has continuous checks, beside
its analysis groups, and sends `finish` when the step ends. It runs the checks every
analysis.interval and ends early with the first failure that rolls back or pauses, so a replication
lag that grows while green takes writes stops the migration within a look, while rollback is still
safe. Its own history holds the looks (it continues as new once its run is as long as a migration's
run may grow between units), so a week-long monitoring window costs the migration a few events, not
a few per look.
"""

import asyncio
from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.check_activities import CheckActivities, CheckRun
    from cutover.checks.results import CheckResult, CheckVerdict
    from cutover.models import CheckRecord
    from cutover.plan.checks import Check, OnFail, Stage
    from cutover.plan.history_budget import RUN_EVENTS
    from cutover.workflows.calls import call
    from cutover.workflows.carry import RUN_BYTES
    from cutover.workflows.migration_state import innermost_reason
    from cutover.workflows.options import checking


class ContinuousInput(BaseModel):
    migration_id: str
    stage: Stage
    weight: int | None = None
    checks: list[Check]
    interval: timedelta
    blue_env: str
    green_env: str
    looks: int = Field(default=0, description="looks done by earlier runs")
    latest: dict[str, CheckRecord] = Field(default_factory=dict, description="each check's latest result")
    failures: list[CheckRecord] = Field(
        default_factory=list, description="the first look of each run of advisory failures, the latest"
    )


class ContinuousOutcome(BaseModel):
    """Each check's latest result, where advisory failures began, and the failure that ended it."""

    looks: int
    latest: list[CheckRecord]
    failures: list[CheckRecord]
    stopped_by: CheckRecord | None = None


FAILURES_KEPT = 10


def _long() -> bool:
    info = workflow.info()
    return info.get_current_history_length() > RUN_EVENTS or info.get_current_history_size() > RUN_BYTES


def _passing(record: CheckRecord | None) -> bool:
    return record is None or record.result.passed


@workflow.defn(name="ContinuousChecks")
class ContinuousChecksWorkflow:
    def __init__(self) -> None:
        self._finished = False

    @workflow.run
    async def run(self, request: ContinuousInput) -> ContinuousOutcome:
        while True:
            try:
                await workflow.wait_condition(lambda: self._finished, timeout=request.interval)
                return self._outcome(request)
            except TimeoutError:
                pass
            records = await asyncio.gather(*(self._run(request, check) for check in request.checks))
            request.looks += 1
            failed = [record for record in records if not record.result.passed]
            blocking = next((r for r in failed if r.on_fail != OnFail.ADVISORY.value), None)
            if blocking is not None:
                return self._outcome(request, blocking)
            began = [r for r in failed if _passing(request.latest.get(r.result.check))]
            request.failures = [*request.failures, *began][-FAILURES_KEPT:]
            for record in records:
                request.latest[record.result.check] = record
            if _long() and not self._finished:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(request)

    @workflow.signal(name="finish", description="The step is over (the migration sends this).")
    def finish(self) -> None:
        self._finished = True

    @staticmethod
    def _outcome(request: ContinuousInput, stopped_by: CheckRecord | None = None) -> ContinuousOutcome:
        return ContinuousOutcome(
            looks=request.looks,
            latest=list(request.latest.values()),
            failures=request.failures,
            stopped_by=stopped_by,
        )

    @staticmethod
    async def _run(request: ContinuousInput, check: Check) -> CheckRecord:
        run = CheckRun(
            migration_id=request.migration_id,
            stage=request.stage,
            weight=request.weight,
            check=check,
            blue_env=request.blue_env,
            green_env=request.green_env,
        )
        try:
            result = await call(CheckActivities.run_check, run, checking(check.timeout))
        except ActivityError as error:
            result = CheckResult(
                check=check.name, kind=check.kind, verdict=CheckVerdict.ERROR, summary=innermost_reason(error)
            )
        return CheckRecord(
            stage=request.stage.value, weight=request.weight, on_fail=check.on_fail.value, result=result
        )
