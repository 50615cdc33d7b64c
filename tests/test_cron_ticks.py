"""Which scheduled times fell in a window, and the Job name the controller gives each."""

from datetime import UTC, datetime, timedelta

import pytest

from cutover.cron_ticks import MAX_MISSED_RUNS, ScheduleError, job_name, scheduled_times

T0 = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)


def test_times_after_the_start_up_to_and_including_the_end() -> None:
    minute = timedelta(minutes=1)
    assert scheduled_times("* * * * *", None, T0, T0 + timedelta(seconds=150)) == [
        datetime(2026, 3, 1, 0, m, tzinfo=UTC) for m in (1, 2, 3)
    ]
    on_a_tick = datetime(2026, 3, 1, 0, 1, tzinfo=UTC)
    assert scheduled_times("* * * * *", None, on_a_tick, on_a_tick + minute) == [on_a_tick + minute]
    assert scheduled_times("0 2 * * *", None, T0, T0 + timedelta(hours=1)) == []


def test_the_time_zone_decides_when_a_daily_schedule_runs() -> None:
    berlin = scheduled_times("0 2 * * *", "Europe/Berlin", T0, T0 + timedelta(days=1))
    assert berlin == [datetime(2026, 3, 1, 1, 0, tzinfo=UTC)]  # 02:00 CET is 01:00 UTC


def test_a_long_window_keeps_only_the_latest_runs() -> None:
    times = scheduled_times("* * * * *", None, datetime(1970, 1, 1, tzinfo=UTC), T0)
    assert len(times) == MAX_MISSED_RUNS and times[-1] == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "zone", "problem"), [("bad", None, "schedule"), ("* * * * *", "Mars/Base", "zone")]
)
def test_an_unreadable_schedule_says_which_part(schedule: str, zone: str | None, problem: str) -> None:
    with pytest.raises(ScheduleError, match=problem):
        scheduled_times(schedule, zone, T0, T0 + timedelta(hours=1))


def test_job_names_follow_the_controller_minutes_since_the_epoch() -> None:
    assert job_name("nightly", datetime(1970, 1, 1, 0, 2, 59, tzinfo=UTC)) == "nightly-2"
