"""Activity timeouts and retries shared by the workflows."""

from datetime import timedelta

from temporalio.common import RetryPolicy

ACTIVITY_TIMEOUT = timedelta(minutes=2)
FORWARD_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=1))
UNDO_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1))
