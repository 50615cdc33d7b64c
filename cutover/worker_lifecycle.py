"""The worker process's life: wait for Temporal, poll, and stop cleanly on SIGTERM / SIGINT.

A worker that exits while Temporal is unreachable is restarted in a loop by its supervisor
(CrashLoopBackOff) with ever longer pauses; one that waits comes up as soon as Temporal does, and
says why it is not ready meanwhile (cutover.health). On a signal it stops polling, gives running
activities the grace period to finish, then cancels them: the server hands their tasks to another
worker (their retry policy), and the workflows' tasks go back to the shared queue.
"""

import asyncio
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.worker import Worker

from cutover.health import Readiness
from cutover.temporal.client import TemporalUnreachable

T = TypeVar("T")
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0  # a replica comes up at most this long after Temporal does
READY_CHECK_S = 0.1  # how often a starting worker is looked at until it polls


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (the first one: later ones change nothing)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """work's result, or None (work cancelled) once stop is set first."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([task, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        with suppress(asyncio.CancelledError, TemporalUnreachable):
            await task
        return None
    return task.result()


async def connect_with_backoff(
    connect: Callable[[], Awaitable[Client]], stop: asyncio.Event, readiness: Readiness, log: Any
) -> Client | None:
    """A client once Temporal answers, retrying with capped exponential backoff; None if stopped first.

    Only TemporalUnreachable is retried: settings that cannot work (a missing certificate file, an
    unknown profile) were refused before this, when they were loaded."""
    delay = BACKOFF_FIRST_S
    attempt = 0
    while not stop.is_set():
        attempt += 1
        try:
            return await unless_stopped(connect(), stop)
        except TemporalUnreachable as error:
            readiness.set_not_ready(f"Temporal unreachable (attempt {attempt}), retrying")
            log.warning("temporal unreachable, retrying", attempt=attempt, retry_in_s=delay, error=str(error))
        await unless_stopped(asyncio.sleep(delay), stop)
        delay = min(delay * 2, BACKOFF_MAX_S)
    return None


async def keep_serving(
    connect: Callable[[], Awaitable[Client]],
    build: Callable[[Client], Worker],
    stop: asyncio.Event,
    readiness: Readiness,
    log: Any,
) -> None:
    """Connect (retrying), serve until stop is set; a worker that fails (e.g. its namespace is not there)
    is built again after a pause that grows as the connection's does, so it never spins."""
    delay = BACKOFF_FIRST_S
    while (client := await connect_with_backoff(connect, stop, readiness, log)) is not None:
        log.info("worker started")
        error = await serve(build(client), stop, readiness, log)
        if error is None:
            return
        log.error("worker failed, starting again", error=error, retry_in_s=delay)
        await unless_stopped(asyncio.sleep(delay), stop)
        delay = min(delay * 2, BACKOFF_MAX_S)


async def serve(worker: Worker, stop: asyncio.Event, readiness: Readiness, log: Any) -> str | None:
    """Run worker until stop is set (then shut it down gracefully: None) or it fails (why, in a line)."""
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    while not running.done() and not stop.is_set():
        if worker.is_running and not readiness.ready:
            readiness.set_ready()
            log.info("worker polling")
        timeout = None if readiness.ready else READY_CHECK_S
        await asyncio.wait([running, stopping], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not running.done():
        readiness.set_not_ready("shutting down")
        log.info("worker shutting down")
        await worker.shutdown()
        await asyncio.wait([running])  # shutdown() returns a moment before run() does
    error = running.exception() if not running.cancelled() else None
    if error is None or stop.is_set():
        return None
    readiness.set_not_ready(f"worker failed: {_first_line(error)}")
    return _first_line(error)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:500]
