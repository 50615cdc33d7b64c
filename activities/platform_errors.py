"""The one place where the platform's errors become Temporal's retry semantics.

Adapters raise PermanentError (retrying cannot help) or TransientError (it may); inside
`translated()` (every platform call of an activity runs in one, see cutover.activities.running)
they become an ApplicationError of the error's kind as its type, non-retryable for a permanent
error, so the workflow stops instead of retrying a denied request.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.exceptions import ApplicationError

from cutover.platform.errors import PermanentError, PlatformError


@contextmanager
def translated() -> Iterator[None]:
    """Turn a PlatformError raised in the block into the ApplicationError Temporal acts on."""
    try:
        yield
    except PlatformError as error:
        permanent = isinstance(error, PermanentError)
        raise ApplicationError(error.message, type=error.kind, non_retryable=permanent) from error
