"""Waiting for green's copy to roll out: shared by the migration and its children."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.durations import format_duration
    from cutover.models import RolloutWait, ServiceRef
    from cutover.workflows.calls import Stop, call, call_unless
    from cutover.workflows.options import heartbeating


async def rollout_failure(green: ServiceRef, timeout: timedelta, stop: Stop | None = None) -> str | None:
    """Wait for green's copy to roll out; the reason to stop if it did not within timeout.

    With stop, the wait is cancelled as soon as stop() gives a reason (calls.Interrupted); a child
    workflow has none (its parent cancels it).
    """
    wait, config = RolloutWait(ref=green, timeout=timeout), heartbeating(timeout)
    method = MigrationActivities.await_rollout
    rolled_out = await (
        call(method, wait, config) if stop is None else call_unless(stop, method, wait, config)
    )
    if rolled_out:
        return None
    return f"{green.service} did not roll out in {green.env} within {format_duration(timeout)}"
