"""The calendar's freeze windows: inside and outside at the edges, over the week's end, across the DST
changes of Europe/Berlin, chained windows, and one line naming the field for every bad input."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from cutover.freezes.windows import (
    DAYS,
    ActiveFreeze,
    FreezesConfig,
    FreezeWindow,
    active_window,
)
from cutover.plan.model import validation_problems
from cutover.platform.wiring import PlatformConfig

BERLIN = ZoneInfo("Europe/Berlin")


def window(**fields: Any) -> FreezeWindow:
    data: dict[str, Any] = {"envs": ["prod"], "start": "Fri 16:00", "end": "Mon 08:00", "reason": "weekend"}
    return FreezeWindow.model_validate(data | fields)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def until_of(windows: list[FreezeWindow], now: datetime, env: str = "prod") -> datetime | None:
    found = active_window(windows, env, now)
    assert found is not None, f"{env} is not frozen at {now}"
    return found.until


# 2026-03-02 is a Monday.
@pytest.mark.parametrize(
    ("now", "until"),
    [
        (utc(2026, 3, 3, 9, 59), None),
        (utc(2026, 3, 3, 10, 0), utc(2026, 3, 3, 12, 0)),  # the start is in the window
        (utc(2026, 3, 3, 11, 59, 59), utc(2026, 3, 3, 12, 0)),
        (utc(2026, 3, 3, 12, 0), None),  # the end is not
        (utc(2026, 3, 10, 11, 0), utc(2026, 3, 10, 12, 0)),  # every week
        (utc(2026, 3, 4, 11, 0), None),  # not every day
    ],
)
def test_a_window_inside_one_day(now: datetime, until: datetime | None) -> None:
    tuesday = window(start="Tue 10:00", end="Tue 12:00", reason="release train")
    found = active_window([tuesday], "prod", now)
    expected = ActiveFreeze(env="prod", reason="release train", until=until, source="calendar")
    assert found == (expected if until else None)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (utc(2026, 3, 6, 15, 59), None),
        (utc(2026, 3, 6, 16, 0), utc(2026, 3, 9, 8, 0)),
        (utc(2026, 3, 7, 12, 0), utc(2026, 3, 9, 8, 0)),
        (utc(2026, 3, 8, 23, 59), utc(2026, 3, 9, 8, 0)),  # Sunday night: the week turns inside the window
        (utc(2026, 3, 9, 0, 0), utc(2026, 3, 9, 8, 0)),
        (utc(2026, 3, 9, 7, 59, 59), utc(2026, 3, 9, 8, 0)),
        (utc(2026, 3, 9, 8, 0), None),
        (utc(2026, 3, 11, 12, 0), None),
    ],
)
def test_a_window_over_the_weeks_end(now: datetime, until: datetime | None) -> None:
    found = active_window([window()], "prod", now)
    assert (found.until if found else None) == until


def test_berlin_spring_forward_keeps_the_wall_clock() -> None:
    """2026-03-29 02:00 CET becomes 03:00 CEST: the weekend window starts at 16:00 CET (15:00 UTC) and
    ends at 08:00 CEST (06:00 UTC), an hour shorter than other weekends."""
    weekend = [window(timezone="Europe/Berlin")]
    assert active_window(weekend, "prod", utc(2026, 3, 27, 14, 59)) is None
    assert until_of(weekend, utc(2026, 3, 27, 15, 0)) == utc(2026, 3, 30, 6, 0)
    assert until_of(weekend, utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 30, 6, 0)  # just after the change
    assert until_of(weekend, utc(2026, 3, 30, 5, 59)) == utc(2026, 3, 30, 6, 0)
    assert active_window(weekend, "prod", utc(2026, 3, 30, 6, 0)) is None
    # The same wall times a week before, in winter time.
    assert until_of(weekend, utc(2026, 3, 20, 15, 0)) == utc(2026, 3, 23, 7, 0)
    # now may be given in any zone: the same instant, the same answer
    assert until_of(weekend, datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN)) == utc(2026, 3, 30, 6, 0)


def test_berlin_fall_back_keeps_the_wall_clock() -> None:
    """2026-10-25 03:00 CEST becomes 02:00 CET: 16:00 CEST is 14:00 UTC, 08:00 CET is 07:00 UTC."""
    weekend = [window(timezone="Europe/Berlin")]
    assert active_window(weekend, "prod", utc(2026, 10, 23, 13, 59)) is None
    assert until_of(weekend, utc(2026, 10, 23, 14, 0)) == utc(2026, 10, 26, 7, 0)
    assert until_of(weekend, utc(2026, 10, 26, 6, 59)) == utc(2026, 10, 26, 7, 0)
    assert active_window(weekend, "prod", utc(2026, 10, 26, 7, 0)) is None


def test_an_end_the_spring_change_skips_is_read_with_the_offset_before_it() -> None:
    """Sun 02:30 does not exist on 2026-03-29 in Berlin: read as 02:30 CET, i.e. 01:30 UTC (03:30 CEST)."""
    night = [window(start="Sun 01:00", end="Sun 02:30", timezone="Europe/Berlin")]
    assert until_of(night, utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 1, 30)  # 01:30 CET
    assert active_window(night, "prod", utc(2026, 3, 29, 1, 15)) is None  # 03:15 CEST: past 02:30


def test_an_end_the_fall_change_repeats_is_its_next_occurrence() -> None:
    """02:00 to 03:00 happens twice on 2026-10-25 in Berlin; a window ending at 02:30 ends at the first
    02:30 (00:30 UTC), and, inside the repeated hour, at the second (01:30 UTC), never in the past."""
    night = [window(start="Sun 01:00", end="Sun 02:30", timezone="Europe/Berlin")]
    assert until_of(night, utc(2026, 10, 25, 0, 15)) == utc(2026, 10, 25, 0, 30)  # 02:15 CEST
    assert until_of(night, utc(2026, 10, 25, 1, 15)) == utc(2026, 10, 25, 1, 30)  # 02:15 CET, again
    assert active_window(night, "prod", utc(2026, 10, 25, 1, 30)) is None


def test_envs_and_the_star() -> None:
    windows = [window(envs=["prod", "prod-eu"]), window(envs=["*"], start="Wed 10:00", end="Wed 11:00")]
    assert active_window(windows, "prod-eu", utc(2026, 3, 7, 12, 0)) is not None
    assert active_window(windows, "staging", utc(2026, 3, 7, 12, 0)) is None
    staging = active_window(windows, "staging", utc(2026, 3, 4, 10, 30))
    assert staging is not None and staging.env == "staging" and staging.until == utc(2026, 3, 4, 11, 0)


def test_windows_that_touch_are_one_freeze_and_the_first_names_the_reason() -> None:
    windows = [
        window(start="Mon 00:00", end="Tue 00:00", reason="first"),
        window(start="Tue 00:00", end="Tue 06:00", reason="second"),
        window(start="Mon 12:00", end="Mon 13:00", reason="lunch"),
    ]
    found = active_window(windows, "prod", utc(2026, 3, 2, 12, 30))
    assert found is not None and found.reason == "first" and found.until == utc(2026, 3, 3, 6, 0)


def test_windows_that_cover_the_whole_week_have_no_end() -> None:
    windows = [window(start="Mon 00:00", end="Thu 00:00"), window(start="Wed 00:00", end="Mon 00:00")]
    found = active_window(windows, "prod", utc(2026, 3, 5, 12, 0))
    assert found is not None and found.until is None
    assert "until lifted" in found.describe()


def test_now_must_say_its_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        active_window([window()], "prod", datetime(2026, 3, 7, 12, 0))


def test_the_answer_is_frozen_and_says_itself_in_one_line() -> None:
    found = active_window([window(reason="weekend:\n  no changes")], "prod", utc(2026, 3, 7, 12, 0))
    assert found is not None
    with pytest.raises(ValidationError):
        found.reason = "other"
    assert found.describe() == "prod is frozen until 2026-03-09 08:00 UTC (calendar): weekend: no changes"
    manual = ActiveFreeze(env="*", reason="incident", until=None, source="manual", by="alice")
    assert manual.describe() == "every environment is frozen until lifted (by alice): incident"


def test_the_config_section_from_yaml() -> None:
    text = """
windows:
  - envs: [prod-eu, prod-us]
    start: fri 16:00
    end: Mon 8:00
    timezone: Europe/Berlin
    reason: weekend freeze
  - envs: ["*"]
    start: Mon 09:00
    end: Mon 09:30
    reason: change advisory board
"""
    config = loaded(yaml.safe_load(text))
    assert [(w.start, w.end, w.timezone) for w in config.windows] == [
        ("Fri 16:00", "Mon 08:00", "Europe/Berlin"),
        ("Mon 09:00", "Mon 09:30", "UTC"),
    ]
    assert config.active("prod-us", utc(2026, 3, 7, 12, 0)) is not None
    assert PlatformConfig().freezes == FreezesConfig()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {"start": "Fry 16:00"},
            "freezes.windows[0].start: 'Fry 16:00' is not a day and time like 'Fri 16:00'",
        ),
        (
            {"start": "Fri 24:00"},
            "freezes.windows[0].start: 'Fri 24:00' is not a day and time like 'Fri 16:00'",
        ),
        ({"end": "Mon"}, "freezes.windows[0].end: 'Mon' is not a day and time like 'Fri 16:00'"),
        (
            {"end": 960},  # YAML 1.1 reads an unquoted 16:00 as 960
            "freezes.windows[0].end: 960 is not a day and time like 'Fri 16:00' (quote it in YAML)",
        ),
        (
            {"end": "fri 16:00"},
            "freezes.windows[0].end: Fri 16:00 is also the start: a window must last some time",
        ),
        (
            {"timezone": "Europe/Berln"},
            "freezes.windows[0].timezone: 'Europe/Berln' is not an IANA time zone such as 'Europe/Berlin' or "
            "'UTC'",
        ),
        (
            {"timezone": "../../etc/passwd"},
            "freezes.windows[0].timezone: '../../etc/passwd' is not an IANA time zone such as "
            "'Europe/Berlin' or 'UTC'",
        ),
        ({"envs": []}, "freezes.windows[0].envs: List should have at least 1 item after validation, not 0"),
        (
            {"envs": ["prod eu"]},
            "freezes.windows[0].envs[0]: must not contain whitespace or control characters, found ' '",
        ),
        ({"reason": "  "}, "freezes.windows[0].reason: String should have at least 1 character"),
        ({"until": "Mon 08:00"}, "freezes.windows[0].until: unknown field"),
    ],
)
def test_bad_windows_are_named(fields: dict[str, Any], problem: str) -> None:
    data: dict[str, Any] = {"envs": ["prod"], "start": "Fri 16:00", "end": "Mon 08:00", "reason": "weekend"}
    assert problems({"windows": [data | fields]}) == [problem]


def test_every_problem_is_named_and_the_section_itself_too() -> None:
    assert problems({"windows": [{"envs": ["prod"], "start": "Fry 16:00"}], "window": []}) == [
        "freezes.windows[0].start: 'Fry 16:00' is not a day and time like 'Fri 16:00'",
        "freezes.windows[0].end: Field required",
        "freezes.windows[0].reason: Field required",
        "freezes.window: unknown field",
    ]
    assert problems(["Fri 16:00"]) == [
        "freezes: Input should be a valid dictionary or instance of FreezesConfig"
    ]


def test_a_window_lasts_less_than_a_week_in_every_zone() -> None:
    """Any start and end a day apart: the answer's until is that end, within a week of now."""
    now = utc(2026, 3, 29, 1, 30)
    for zone in ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"):
        for day in range(7):
            six_days = window(start=f"{DAYS[day]} 00:00", end=f"{DAYS[(day + 6) % 7]} 00:00", timezone=zone)
            found = active_window([six_days], "prod", now)
            if found is not None:
                assert found.until is not None and now < found.until <= now + timedelta(days=6, hours=1)


def loaded(section: object) -> FreezesConfig:
    """The section as the worker loads it: part of its platform config."""
    return PlatformConfig.model_validate({"freezes": section}).freezes


def problems(section: object) -> list[str]:
    """The lines the worker prints for a bad section (cutover.platform.wiring.load_platform_config)."""
    try:
        loaded(section)
    except ValidationError as error:
        return validation_problems(error)
    return []
