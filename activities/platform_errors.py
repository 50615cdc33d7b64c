"""The one place where the platform's errors become Temporal's retry semantics.

Adapters raise PermanentError (retrying cannot help) or TransientError (it may); an activity
wrapped in `platform_errors` fails with an ApplicationError of the error's kind as its type,
non-retryable for a permanent error, so the workflow stops instead of retrying a denied request.
"""

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from cutover.platform.errors import PermanentError, PlatformError

P = ParamSpec("P")
R = TypeVar("R")


def platform_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Wrap a synchronous activity so the PlatformErrors it raises fail it as ApplicationErrors.

    Put it under ``@activity.defn``: functools.wraps keeps the name, signature and type hints the
    definition reads. A PlatformError of neither kind is retried, as any other exception would be.
    """
    if inspect.iscoroutinefunction(method):
        raise TypeError(f"{method.__qualname__}: platform_errors wraps synchronous activities only")

    @functools.wraps(method)
    def translated(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except PlatformError as error:
            permanent = isinstance(error, PermanentError)
            raise ApplicationError(error.message, type=error.kind, non_retryable=permanent) from error

    return translated
