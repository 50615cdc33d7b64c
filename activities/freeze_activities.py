"""Is an environment frozen now, why, and until when: a migration asks at each step boundary.

Safe to run as a local activity: one describe per environment (and one for a freeze of every
environment, `*`), all at once, each bounded by DESCRIBE_TIMEOUT, and the calendar of the worker's
config at the activity's own clock; no heartbeat, no polling, and no worker needed by the freezes
themselves (a running FreezeWorkflow is frozen, its memo says why). Manual freezes come before the
calendar's: they name who froze, and are what a human can lift. A lookup that fails (Temporal
unreachable, a timeout) raises, to be retried under the caller's policy: it never reads as "not frozen".
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from cutover.freezes.orders import FREEZE_MEMO, FreezeStateRequest, freeze_from_memo, freeze_workflow_id
from cutover.freezes.windows import ALL_ENVS, ActiveFreeze, FreezesConfig

__all__ = ["DESCRIBE_TIMEOUT", "FreezeActivities", "FreezeStateRequest"]

# Per describe; the describes run at once, so the activity takes about one of them.
DESCRIBE_TIMEOUT = timedelta(seconds=5)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FreezeActivities:
    """`clock` is for tests: the calendar is read at the activity's current time."""

    def __init__(self, client: Client, config: FreezesConfig, clock: Callable[[], datetime] = _utc_now):
        self.client = client
        self.config = config
        self.clock = clock

    @activity.defn(name="freeze_state")
    async def freeze_state(self, request: FreezeStateRequest) -> ActiveFreeze | None:
        """The first freeze holding any of the envs (manual ones first, in the envs' order; a freeze of
        every environment last among them), or None when the migration may go on."""
        ids = list(dict.fromkeys([*request.envs, ALL_ENVS]))
        manual = await asyncio.gather(*(self.manual_freeze(env) for env in ids))
        found = next((freeze for freeze in manual if freeze is not None), None)
        if found is not None:
            return found
        now = request.at or self.clock()
        calendar = (self.config.active(env, now) for env in request.envs)
        return next((freeze for freeze in calendar if freeze is not None), None)

    async def manual_freeze(self, env: str) -> ActiveFreeze | None:
        """The freeze `cutover freeze --env env` set, while its workflow runs (describe is strongly
        consistent: a freeze lifted a moment ago is gone)."""
        workflow_id = freeze_workflow_id(env)
        try:
            described = await self.client.get_workflow_handle(workflow_id).describe(
                rpc_timeout=DESCRIBE_TIMEOUT
            )
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise ApplicationError(
                f"cannot tell whether {env} is frozen: describing {workflow_id} failed "
                f"({error.status.name}): {error.message}",
                type="FreezeLookup",
            ) from None
        if described.status != WorkflowExecutionStatus.RUNNING:
            return None
        return freeze_from_memo(await described.memo_value(FREEZE_MEMO, default=None), workflow_id)
