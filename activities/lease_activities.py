"""Waiting for a migration's leases: their keepers answer a query once every lease is taken or refused."""

import asyncio
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from cutover.activities.running import heartbeating
from cutover.temporal.lease_lookup import held_lines, lease_holders
from cutover.workflows.leases import LeaseOutcome, MigrationLeasesWorkflow

POLL = timedelta(seconds=0.2)


class LeaseCheck(BaseModel):
    keepers: list[str]
    timeout: timedelta


class LeaseActivities:
    def __init__(self, client: Client):
        self.client = client

    @activity.defn(name="await_leases")
    async def await_leases(self, check: LeaseCheck) -> list[str]:
        """Why the migration cannot have its workloads (who holds which), or [] when it holds them all."""
        deadline = datetime.now(UTC) + check.timeout
        async with heartbeating():  # a keeper busy starting many leases answers its query late
            outcomes = [await self._outcome(keeper, deadline) for keeper in check.keepers]
        failures = [o.failure for o in outcomes if o.failure]
        if failures:
            raise ApplicationError(f"taking leases failed: {failures[0]}", non_retryable=True, type="Lease")
        held = [key for outcome in outcomes for key in outcome.held_elsewhere]
        if not held:
            return []
        holders = await lease_holders(self.client, held)
        # A holder that ended between the refusal and the lookup still refused us: say so plainly.
        return held_lines({key: holders.get(key, "another migration (since ended)") for key in held})

    @activity.defn(name="await_released")
    async def await_released(self, check: LeaseCheck) -> None:
        """Once every keeper has given its leases back (or was ended by hand): the migration ends
        holding nothing, whichever run sent the release."""
        deadline = datetime.now(UTC) + check.timeout
        async with heartbeating():
            for keeper in check.keepers:
                handle = self.client.get_workflow_handle(keeper)
                while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    if datetime.now(UTC) > deadline:
                        raise ApplicationError(f"{keeper} did not give its leases back in time", type="Lease")
                    await asyncio.sleep(POLL.total_seconds())

    async def _outcome(self, keeper: str, deadline: datetime) -> LeaseOutcome:
        handle = self.client.get_workflow_handle(keeper)
        while True:
            try:
                outcome = await handle.query(MigrationLeasesWorkflow.outcome)
            except RPCError as error:
                # A keeper starting a thousand leases answers after its workflow task: ask again.
                if error.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                    raise
                outcome = None
            if outcome is not None:
                return outcome
            if datetime.now(UTC) > deadline:
                raise ApplicationError(f"{keeper} took no decision on its leases in time", type="Lease")
            await asyncio.sleep(POLL.total_seconds())
