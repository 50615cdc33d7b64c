"""Calling the activities that poll and heartbeat: shared by the migration and its children."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.activities.polling import HEARTBEAT_TIMEOUT
    from cutover.durations import format_duration
    from cutover.models import RolloutWait, ServiceRef
    from cutover.workflows.options import ACTIVITY_TIMEOUT, FORWARD_RETRY


async def execute_wait(activity: Callable[..., Any], arg: Any, timeout: timedelta) -> Any:
    """An activity that polls for up to timeout, heartbeating, so a lost worker is noticed quickly."""
    return await workflow.execute_activity_method(
        activity,
        arg,
        start_to_close_timeout=timeout + ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
        retry_policy=FORWARD_RETRY,
    )


async def rollout_failure(green: ServiceRef, timeout: timedelta) -> str | None:
    """Wait for green's copy to roll out; the reason to stop if it did not within timeout."""
    if await execute_wait(
        MigrationActivities.await_rollout, RolloutWait(ref=green, timeout=timeout), timeout
    ):
        return None
    return f"{green.service} did not roll out in {green.env} within {format_duration(timeout)}"
