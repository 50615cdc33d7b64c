"""The lease workflows: a keeper per environment holds one child per workload of its migration.

A migration releases its leases when it has finished (success or rollback). If it closes any other
way (a human terminates it), its leases block only until a migration asks for one of the workloads:
that keeper finds the holder closed and ends the stale keeper (cutover.activities.stale_leases). A
migration of 0.5 started its keepers with the TERMINATE parent-close policy: the server ended them.
Inputs are taken untyped: whatever anyone sends, no workflow task fails.
"""

import asyncio

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.stale_leases import StaleLeaseActivities
    from cutover.leases import HOLDER_MEMO, WorkloadKey
    from cutover.workflows.calls import call
    from cutover.workflows.options import FORWARD, LEASE_CHUNKS, LONG_CHILD_TASK_TIMEOUT, STALE_LEASES
    from cutover.workflows.summaries import lease_summary


LEASES_AT_ONCE = 50


class LeaseRequest(BaseModel):
    holder: str
    workloads: list[WorkloadKey]


class LeaseOutcome(BaseModel):
    """How many leases were taken, which workloads someone else holds, and any other failure."""

    taken: int
    held_elsewhere: list[WorkloadKey]
    failure: str = ""


# Unsandboxed: it only waits for a signal, and a migration of a thousand services starts two
# thousand of them at once; the sandbox's per-workflow set-up would be most of the worker's CPU.
@workflow.defn(name="WorkloadLease", sandboxed=False)
class WorkloadLeaseWorkflow:
    """Running means held; ends on `release` from its keeper, or with its keeper (parent-close policy).

    Starting one by hand under a workload's lease id holds that workload: no migration will take it.
    """

    def __init__(self) -> None:
        self._released = False

    @workflow.run
    async def run(self, *inputs: object) -> None:
        await workflow.wait_condition(lambda: self._released)

    @workflow.signal(
        name="release", description="Give the workload back (its keeper sends this when the migration ends)."
    )
    def release(self, *inputs: object) -> None:
        self._released = True


@workflow.defn(name="MigrationLeases")
class MigrationLeasesWorkflow:
    """A migration's leases in one environment (a keeper per environment: Temporal caps pending children)."""

    def __init__(self) -> None:
        self._outcome: LeaseOutcome | None = None
        self._released = False

    @workflow.run
    async def run(self, *inputs: object) -> None:
        if len(inputs) != 1 or not isinstance(inputs[0], dict):
            raise ApplicationError("expected one LeaseRequest", type="BadInput", non_retryable=True)
        try:
            request = LeaseRequest.model_validate(inputs[0])
        except ValidationError as error:
            raise ApplicationError(
                f"bad LeaseRequest: {error}", type="BadInput", non_retryable=True
            ) from None
        keys = request.workloads
        # A thousand child starts in one workflow task would hold the worker past its deadlock
        # timeout; LEASES_AT_ONCE per task keep each task short.
        chunk = LEASES_AT_ONCE if workflow.patched(LEASE_CHUNKS) else len(keys) or 1
        results: list[object] = []
        for start in range(0, len(keys), chunk):
            results += await asyncio.gather(
                *(self._take(key, request.holder) for key in keys[start : start + chunk]),
                return_exceptions=True,
            )
        taken = [r for r in results if isinstance(r, workflow.ChildWorkflowHandle)]
        failures = [r for r in results if isinstance(r, BaseException)]
        self._outcome = LeaseOutcome(
            taken=len(taken),
            held_elsewhere=[k for k, r in zip(request.workloads, results, strict=True) if r is None],
            failure=f"{type(failures[0]).__name__}: {failures[0]}" if failures else "",
        )
        await workflow.wait_condition(lambda: self._released)
        # A lease someone ended by hand is already given back: its failure to answer is not an error.
        await asyncio.gather(
            *(lease.signal(WorkloadLeaseWorkflow.release) for lease in taken), return_exceptions=True
        )
        await asyncio.gather(*taken, return_exceptions=True)

    @workflow.query(
        name="outcome", description="None while the leases are being taken; then what was taken or refused."
    )
    def outcome(self) -> LeaseOutcome | None:
        return self._outcome

    @workflow.signal(
        name="release", description="Give every lease back (the migration sends this when it has finished)."
    )
    def release(self, *inputs: object) -> None:
        self._released = True

    async def _take(
        self, key: WorkloadKey, holder: str
    ) -> workflow.ChildWorkflowHandle[WorkloadLeaseWorkflow, None] | None:
        """The lease's handle, or None when a running migration holds it (a stale lease is taken)."""
        try:
            return await self._start(key, holder)
        except WorkflowAlreadyStartedError:
            pass
        if not workflow.patched(STALE_LEASES):
            return None
        if not await call(StaleLeaseActivities.reclaim_stale_lease, key.lease_id, FORWARD):
            return None
        try:
            return await self._start(key, holder)
        except WorkflowAlreadyStartedError:  # another migration was quicker
            return None

    async def _start(
        self, key: WorkloadKey, holder: str
    ) -> workflow.ChildWorkflowHandle[WorkloadLeaseWorkflow, None]:
        return await workflow.start_child_workflow(
            WorkloadLeaseWorkflow.run,
            holder,
            id=key.lease_id,
            task_timeout=LONG_CHILD_TASK_TIMEOUT,  # thousands start at once: their tasks queue
            parent_close_policy=workflow.ParentClosePolicy.TERMINATE,
            memo={HOLDER_MEMO: holder},
            static_summary=lease_summary(key, holder),
        )
