"""Leases whose migration closed without giving them back: freed by the next migration that needs them.

A migration's lease keepers outlive its runs (ABANDON: a continue-as-new must not end them, as
TERMINATE would, handing the workloads to anyone mid-migration). A migration that finishes gives its
leases back; one a human terminated cannot. Its leases then block only until a migration asks for one
of the workloads: the keeper that is refused asks here whether the holder still runs and, if it does
not, ends the holder's keeper (and with it every lease it kept) and takes the lease.
"""

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from cutover.leases import HOLDER_MEMO


class StaleLeaseActivities:
    def __init__(self, client: Client):
        self.client = client

    @activity.defn(name="reclaim_stale_lease")
    async def reclaim_stale_lease(self, lease_id: str) -> bool:
        """True once the lease is free: it had ended, or its migration has closed and it was ended."""
        found = await self._describe(lease_id)
        if found is None or found.status != WorkflowExecutionStatus.RUNNING:
            return True
        holder_id = str(await found.memo_value(HOLDER_MEMO, default=""))
        if not holder_id:
            return False  # started by hand, to hold the workload out of every migration
        holder = await self._describe(holder_id)
        if holder is not None and holder.status == WorkflowExecutionStatus.RUNNING:
            return False  # a continue-as-new is no end: describe reads the holder's latest run
        reason = f"cutover: migration {holder_id} closed without giving its leases back"
        for stale in filter(None, (found.parent_id, lease_id)):  # ending the keeper ends its leases
            await self._terminate(stale, reason)
        activity.logger.info("reclaimed stale lease %s: %s", lease_id, reason)
        return True

    async def _describe(self, workflow_id: str) -> WorkflowExecutionDescription | None:
        try:
            return await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    async def _terminate(self, workflow_id: str, reason: str) -> None:
        try:
            await self.client.get_workflow_handle(workflow_id).terminate(reason=reason)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:  # ended meanwhile: just as good
                raise
