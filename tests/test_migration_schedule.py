"""What a scheduled migration asks Temporal for: exact windows, no overlap, a bounded catch-up."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import ScheduleActionStartWorkflow, ScheduleOverlapPolicy, ScheduleRange

from cutover.plan.model import load_plan
from cutover.temporal.schedules import (
    ScheduleInputError,
    When,
    catchup_from_option,
    migration_schedule,
    when_from_options,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PLAN = load_plan(Path(__file__).parents[1] / "examples" / "shop-migration.yaml")


def test_one_window_is_an_exact_utc_calendar_that_runs_once() -> None:
    when = when_from_options("2026-11-28T02:30:15+01:00", (), None, NOW)
    assert when == When(once=datetime(2026, 11, 28, 1, 30, 15, tzinfo=UTC))
    schedule = migration_schedule(PLAN, when, "cutover-shop", "cutover", timedelta(minutes=5), note="batch 1")
    calendar = schedule.spec.calendars[0]
    exact = {
        "year": 2026,
        "month": 11,
        "day_of_month": 28,
        "hour": 1,
        "minute": 30,
        "second": 15,
    }
    assert {field: getattr(calendar, field) for field in exact} == {
        field: (ScheduleRange(value),) for field, value in exact.items()
    }
    assert schedule.spec.time_zone_name == "UTC"
    assert schedule.state.limited_actions and schedule.state.remaining_actions == 1
    assert schedule.state.note == "once at 2026-11-28 01:30:15 UTC — batch 1"
    assert schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
    assert schedule.policy.catchup_window == timedelta(minutes=5)
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.id, action.task_queue) == ("MigrationWorkflow", "cutover-shop", "cutover")
    assert action.args == [PLAN]


def test_repeating_windows_keep_their_time_zone_and_are_unlimited() -> None:
    when = when_from_options(None, ("0 2 * * 6", "0 3 * * 0"), "Europe/Berlin", NOW)
    schedule = migration_schedule(PLAN, when, "cutover-shop", "cutover")
    assert schedule.spec.cron_expressions == ["0 2 * * 6", "0 3 * * 0"]
    assert schedule.spec.time_zone_name == "Europe/Berlin"
    assert not schedule.state.limited_actions
    assert schedule.state.note == "cron '0 2 * * 6', '0 3 * * 0' (Europe/Berlin)"


@pytest.mark.parametrize(
    ("at", "cron", "zone", "message"),
    [
        (None, (), None, "--at/--cron: give either"),
        ("2026-12-01T02:00:00Z", ("0 2 * * *",), None, "--at/--cron: give either"),
        ("next saturday", (), None, "--at: 'next saturday' is not an ISO 8601 time"),
        ("2026-12-01T02:00:00", (), None, "--at: '2026-12-01T02:00:00' has no UTC offset"),
        ("2026-11-23T11:59:59Z", (), None, "--at: '2026-11-23T11:59:59Z' is in the past"),
        ("2026-12-01T02:00:00Z", (), "Europe/Berlin", "--timezone: applies to --cron only"),
        (None, ("0 2 * * *",), "Mars/Base", "--timezone: unknown time zone 'Mars/Base'"),
    ],
)
def test_bad_windows_name_the_option(
    at: str | None, cron: tuple[str, ...], zone: str | None, message: str
) -> None:
    with pytest.raises(ScheduleInputError, match=f"^{message}"):
        when_from_options(at, cron, zone, NOW)


def test_catchup_must_be_a_duration_of_at_least_ten_seconds() -> None:
    assert catchup_from_option("15m") == timedelta(minutes=15)
    with pytest.raises(ScheduleInputError, match="^--catchup: must be at least 10s"):
        catchup_from_option("9s")
    with pytest.raises(ScheduleInputError, match="^--catchup: invalid duration 'soon'"):
        catchup_from_option("soon")
