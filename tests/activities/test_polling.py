"""poll_until: looks until a value, gives up at the deadline, and keeps the deadline across retries."""

import dataclasses
from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment

from cutover.activities.polling import poll_until


def test_returns_the_first_value_heartbeating_while_it_waits() -> None:
    env = ActivityEnvironment()
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.append(details[0])
    looks = iter([None, None, "rolled out"])
    result = env.run(poll_until, lambda: next(looks), timedelta(seconds=30), timedelta(milliseconds=10))
    assert result == "rolled out"
    assert len(beats) == 2 and len(set(beats)) == 1, "each round heartbeats the same deadline"


def test_gives_up_with_none_at_the_deadline() -> None:
    looks: list[int] = []
    result = ActivityEnvironment().run(
        poll_until, lambda: looks.append(1), timedelta(milliseconds=50), timedelta(milliseconds=10)
    )
    assert result is None and len(looks) >= 2


def test_a_retried_attempt_keeps_the_recorded_deadline() -> None:
    env = ActivityEnvironment()
    past = datetime.now(UTC) - timedelta(seconds=1)
    env.info = dataclasses.replace(env.info, heartbeat_details=[past.isoformat()])
    looks: list[int] = []
    result = env.run(poll_until, lambda: looks.append(1), timedelta(hours=1), timedelta(milliseconds=10))
    assert result is None and looks == [1], "a fresh one-hour wait started instead of the recorded deadline"
