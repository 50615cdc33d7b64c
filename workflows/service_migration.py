"""Child workflow: move one non-exposed service (worker or CronJob) to green."""

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.models import CronHandover, CronRunWait, ServiceRef, WorkloadKind
    from cutover.workflows.calls import call
    from cutover.workflows.options import FORWARD, HEARTBEAT_WAITS, heartbeating
    from cutover.workflows.waits import rollout_failure


class ServiceMigrationInput(BaseModel):
    green: ServiceRef
    blue_env: str
    blue_suspended: bool = False
    rollout_timeout: timedelta = timedelta(minutes=10)
    active_jobs_timeout: timedelta = timedelta(minutes=30)
    first_run_timeout: timedelta = timedelta(hours=25)


@workflow.defn(name="ServiceMigrationWorkflow")
class ServiceMigrationWorkflow:
    """Deploy to green, wait for the rollout; a CronJob's schedule is handed over and must run there."""

    @workflow.run
    async def run(self, request: ServiceMigrationInput) -> str:
        green = request.green
        workflow.deprecate_patch(HEARTBEAT_WAITS)
        await call(MigrationActivities.deploy_copy, green, FORWARD)
        _stop_if_cancelled()
        failure = await rollout_failure(green, request.rollout_timeout)
        _stop_if_cancelled()
        if failure:
            raise ApplicationError(failure, non_retryable=True)
        if green.kind != WorkloadKind.CRONJOB:
            return f"{green.service} running in {green.env}"
        handover = CronHandover(
            service=green.service,
            namespace=green.namespace,
            name=green.name,
            enable_in=green.env,
            disable_in=request.blue_env,
            keep_suspended=request.blue_suspended,
            active_jobs_timeout=request.active_jobs_timeout,
            since=workflow.now(),
        )
        handed = await call(
            MigrationActivities.hand_over_cron, handover, heartbeating(request.active_jobs_timeout)
        )
        _stop_if_cancelled()
        missed = f"; ran {len(handed.caught_up)} missed run(s): {', '.join(handed.caught_up)}"
        caught_up = missed if handed.caught_up else ""
        if request.blue_suspended:
            return f"cronjob {green.service} was suspended in {request.blue_env}; copied suspended"
        wait = CronRunWait(ref=green, timeout=request.first_run_timeout)
        ok = await call(MigrationActivities.await_cron_run, wait, heartbeating(request.first_run_timeout))
        if not ok:
            raise ApplicationError(
                f"first run of cronjob {green.name} in {green.env} failed", non_retryable=True
            )
        return f"cronjob {green.service} handed over to {green.env}{caught_up}; first run succeeded"


def _stop_if_cancelled() -> None:
    """The parent cancels a child when the migration is aborted. An activity that finished anyway
    swallows that cancellation, so the child checks before its next step instead of going on to a
    wait that could last hours."""
    if workflow.cancellation_reason() is not None:
        raise asyncio.CancelledError("the migration was aborted")
