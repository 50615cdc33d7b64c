"""How an activity runs: on the event loop, heartbeating, with the platform's blocking calls on threads.

Every activity is async. The Kubernetes, AWS and local adapters block, so their calls go to a
bounded pool of threads while the activity's coroutine keeps heartbeating on the event loop: a
busy pool delays work, it never starves a heartbeat. Waits of minutes or hours sleep on the loop
between looks and hold no thread. A cancellation (abort, reject) reaches the activity through its
next heartbeat, within about a second; a call already on a thread finishes first, so the
activity never reports itself cancelled while a write it started is still landing.
"""

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from temporalio import activity

from cutover.activities.platform_errors import translated

S = TypeVar("S")
P = ParamSpec("P")
T = TypeVar("T")

# Threads for the adapters' blocking calls, shared by every activity of the worker.
PLATFORM_THREADS = 16
_THREADS = ThreadPoolExecutor(max_workers=PLATFORM_THREADS, thread_name_prefix="platform")
HEARTBEAT_EVERY = timedelta(milliseconds=500)
POLL_INTERVAL = timedelta(seconds=2)
# A worker that stops heartbeating is given up after this; its activity is retried elsewhere.
HEARTBEAT_TIMEOUT = timedelta(seconds=2)  # four heartbeats: one late beat is no crash


async def in_thread(call: Callable[[], T]) -> T:
    """Run a blocking platform call on a thread; on cancellation, let it finish, then re-raise."""
    context = contextvars.copy_context()  # activity.info() and the log's bindings, in the thread
    future = asyncio.get_running_loop().run_in_executor(_THREADS, context.run, call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


# The details the running activity heartbeats: a wait's deadline, so a retried attempt keeps it.
_DETAILS: ContextVar[list[Any]] = ContextVar("heartbeat_details")


@asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """Heartbeat every HEARTBEAT_EVERY while the block runs."""
    details: list[Any] = []
    token = _DETAILS.set(details)

    async def beat() -> None:
        while True:
            activity.heartbeat(*details)
            await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())

    beater = asyncio.create_task(beat())
    try:
        yield
    finally:
        beater.cancel()
        _DETAILS.reset(token)


def report_progress(line: str) -> None:
    """A long activity's progress (a load's requests sent so far) in its heartbeat details, where the
    Web UI's pending activity and `temporal workflow describe` show it; inside heartbeating()."""
    _DETAILS.get()[:] = [line]


def platform_activity(
    method: Callable[Concatenate[S, P], T],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """A short activity whose body makes blocking platform calls: run on a thread, heartbeating."""

    async def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async with heartbeating():
            with translated():
                return await in_thread(functools.partial(method, self, *args, **kwargs))

    functools.update_wrapper(run, method)  # the name and type hints @activity.defn reads
    return run


def waiting_activity(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """An activity that waits (poll_until) between platform calls (in_thread): heartbeating throughout."""

    async def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async with heartbeating():
            with translated():
                return await method(self, *args, **kwargs)

    functools.update_wrapper(run, method)
    return run


async def poll_until(look: Callable[[], T | None], timeout: timedelta) -> T | None:
    """Call look (on a thread) until it returns a value, or give up with None once timeout has passed.

    The deadline travels in the heartbeat details, so an attempt retried after a worker crash keeps
    the original deadline instead of starting the wait again.
    """
    details = activity.info().heartbeat_details
    deadline = datetime.fromisoformat(details[0]) if details else datetime.now(UTC) + timeout
    _DETAILS.get()[:] = [deadline.isoformat()]  # inside a waiting_activity's heartbeating()
    while True:
        result = await in_thread(look)
        if result is not None:
            return result
        left = deadline - datetime.now(UTC)
        if left <= timedelta(0):
            return None
        await asyncio.sleep(min(POLL_INTERVAL, left).total_seconds())
