"""Waiting for a migration's leases: their keepers answer a query once every lease is taken or refused."""

import asyncio
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

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

    async def _outcome(self, keeper: str, deadline: datetime) -> LeaseOutcome:
        handle = self.client.get_workflow_handle(keeper)
        while True:
            outcome = await handle.query(MigrationLeasesWorkflow.outcome)
            if outcome is not None:
                return outcome
            if datetime.now(UTC) > deadline:
                raise ApplicationError(f"{keeper} took no decision on its leases in time", type="Lease")
            activity.heartbeat()
            await asyncio.sleep(POLL.total_seconds())
