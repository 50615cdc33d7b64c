"""Waiting for green's copy to roll out: shared by the migration and its children."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.durations import format_duration
    from cutover.models import RolloutWait, ServiceRef
    from cutover.workflows.calls import call
    from cutover.workflows.options import heartbeating


async def rollout_failure(green: ServiceRef, timeout: timedelta) -> str | None:
    """Wait for green's copy to roll out; the reason to stop if it did not within timeout."""
    wait = RolloutWait(ref=green, timeout=timeout)
    if await call(MigrationActivities.await_rollout, wait, heartbeating(timeout)):
        return None
    return f"{green.service} did not roll out in {green.env} within {format_duration(timeout)}"
