"""Long waits inside activities: look, heartbeat, sleep; the deadline survives a retry."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from temporalio import activity

T = TypeVar("T")

POLL_INTERVAL = timedelta(seconds=2)
# The worker must heartbeat well inside this; a dead worker is noticed within it.
HEARTBEAT_TIMEOUT = timedelta(seconds=30)


def poll_until(
    look: Callable[[], T | None], timeout: timedelta, interval: timedelta = POLL_INTERVAL
) -> T | None:
    """Call look until it returns a value, or give up with None once timeout has passed.

    Each round heartbeats the deadline, so an attempt retried after a worker crash keeps the
    original deadline instead of starting the wait again. Cancellation interrupts the sleep.
    """
    details = activity.info().heartbeat_details
    deadline = datetime.fromisoformat(details[0]) if details else datetime.now(UTC) + timeout
    while True:
        result = look()
        if result is not None:
            return result
        left = deadline - datetime.now(UTC)
        if left <= timedelta(0):
            return None
        activity.heartbeat(deadline.isoformat())
        activity.wait_for_cancelled_sync(timeout=min(interval, left))
