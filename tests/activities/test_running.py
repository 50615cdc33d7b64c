"""How activities run: waits look until a value and keep their deadline across retries; blocking calls
finish before a cancellation is reported; heartbeats go on while the calls run."""

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import ActivityEnvironment

from cutover.activities import running
from cutover.activities.running import heartbeating, in_thread, poll_until


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(running, "POLL_INTERVAL", timedelta(milliseconds=10))
    monkeypatch.setattr(running, "HEARTBEAT_EVERY", timedelta(milliseconds=10))


async def waiting(look: Callable[[], object | None], timeout: timedelta) -> object | None:
    async with heartbeating():
        return await poll_until(look, timeout)


async def test_returns_the_first_value_heartbeating_the_deadline() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    looks = iter([None, None, "rolled out"])
    assert await env.run(waiting, lambda: next(looks), timedelta(seconds=30)) == "rolled out"
    deadlines = {details for details in beats if details}
    assert len(deadlines) == 1, "every heartbeat after the first look carries the same deadline"


async def test_gives_up_with_none_at_the_deadline() -> None:
    looks: list[int] = []
    assert (
        await ActivityEnvironment().run(waiting, lambda: looks.append(1), timedelta(milliseconds=50)) is None
    )
    assert len(looks) >= 2


async def test_a_retried_attempt_keeps_the_recorded_deadline() -> None:
    env = ActivityEnvironment()
    past = datetime.now(UTC) - timedelta(seconds=1)
    env.info = dataclasses.replace(env.info, heartbeat_details=[past.isoformat()])
    looks: list[int] = []
    assert await env.run(waiting, lambda: looks.append(1), timedelta(hours=1)) is None
    assert looks == [1], "a fresh one-hour wait started instead of the recorded deadline"


async def test_a_cancelled_activity_lets_its_blocking_call_finish_first() -> None:
    """No undo may start while a write the activity began is still landing."""
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def write() -> None:
        started.set()
        release.wait(timeout=60)
        finished.set()

    async def activity_body() -> None:
        await in_thread(write)

    env = ActivityEnvironment()
    task = asyncio.create_task(env.run(activity_body))
    await asyncio.to_thread(started.wait, 60)
    env.cancel()
    await asyncio.sleep(0.05)
    assert not task.done(), "the activity reported its end while its write was still running"
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()


async def test_heartbeats_go_on_while_a_blocking_call_runs() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    release = threading.Event()

    async def slow() -> None:
        async with heartbeating():
            await in_thread(lambda: release.wait(timeout=60))

    task = asyncio.create_task(env.run(slow))
    while len(beats) < 3:
        await asyncio.sleep(0.01)
    release.set()
    await task
