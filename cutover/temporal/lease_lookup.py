"""Who holds a workload now: read from Temporal, for `cutover start`/`schedule` and for preparation."""

import asyncio

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from cutover.leases import HOLDER_MEMO, WorkloadKey
from cutover.temporal.descriptions import while_running

CONCURRENT_LOOKUPS = 20


async def lease_holders(client: Client, keys: list[WorkloadKey]) -> dict[WorkloadKey, str]:
    """The migration holding each of keys that is leased now (describe is strongly consistent). A lease
    whose migration has closed without giving it back (a human terminated it) holds nothing: the
    next migration's keeper takes it (cutover.activities.stale_leases)."""
    limit = asyncio.Semaphore(CONCURRENT_LOOKUPS)

    async def holder(key: WorkloadKey) -> str | None:
        async with limit:
            try:
                found = await client.get_workflow_handle(key.lease_id).describe()
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    return None
                raise
        if found.status != WorkflowExecutionStatus.RUNNING:
            return None
        name = await found.memo_value(HOLDER_MEMO, default=None)
        if name is None:
            return "another migration"  # started by hand, to hold the workload out of every migration
        return str(name) if await _running(client, str(name)) else None  # stale: the next keeper takes it

    holders = await asyncio.gather(*(holder(key) for key in keys))
    return {key: name for key, name in zip(keys, holders, strict=True) if name is not None}


async def _running(client: Client, holder: str) -> bool:
    """Whether the holder migration still runs (its latest run: a continue-as-new runs on)."""
    return await while_running(client.get_workflow_handle(holder)) is not None


def held_lines(holders: dict[WorkloadKey, str]) -> list[str]:
    """One line per leased workload, naming the migration that holds it."""
    return [f"{key.describe()} is held by migration {name}" for key, name in sorted(holders.items())]
