"""Child workflow: move one non-exposed service (worker or CronJob) to green."""

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.models import CronHandover, ServiceRef
    from cutover.workflows.options import ACTIVITY_TIMEOUT, FORWARD_RETRY


class ServiceMigrationInput(BaseModel):
    green: ServiceRef
    blue_env: str


@workflow.defn
class ServiceMigrationWorkflow:
    """Deploy to green, verify health; a CronJob's schedule is handed over and must run there."""

    @workflow.run
    async def run(self, request: ServiceMigrationInput) -> str:
        green = request.green
        await self._act(MigrationActivities.deploy_copy, green)
        check = await self._act(MigrationActivities.check_health, green)
        if not check.healthy:
            raise ApplicationError(f"{green.service} is not healthy in {green.env}", non_retryable=True)
        if green.kind != "cronjob":
            return f"{green.service} running in {green.env}"
        await self._act(
            MigrationActivities.hand_over_cron,
            CronHandover(
                service=green.service,
                namespace=green.namespace,
                name=green.name,
                enable_in=green.env,
                disable_in=request.blue_env,
            ),
        )
        if not await self._act(MigrationActivities.run_cron, green):
            raise ApplicationError(
                f"first run of cronjob {green.name} in {green.env} failed", non_retryable=True
            )
        return f"cronjob {green.service} handed over to {green.env}; first run succeeded"

    async def _act(self, activity: Callable[..., Any], arg: Any) -> Any:
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=FORWARD_RETRY
        )
