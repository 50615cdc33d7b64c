"""Recurring change-freeze windows ("Fri 16:00" to "Mon 08:00", Europe/Berlin) and whether one holds now.

Pure (the clock is an argument, no I/O): the worker reads its platform config's `freezes:` once, and
every migration asks "is ENV frozen now, why, until when" at each step boundary from a local activity;
an answer from the config and an instant is fast, and any instant (a DST change, the week's end) can be
tested without a server.

A window is in the wall-clock time of its time zone, so "Fri 16:00" stays 16:00 local across a DST
change (that week's window is an hour longer or shorter in UTC). A wall time the change skips (02:30 on
the spring-forward night) is read with the offset before the change (PEP 495, fold=0), i.e. 03:30 local;
a wall time the change repeats ends a window at its first occurrence, unless that is already past.
Every instant this module returns is in UTC, so comparing them never meets Python's same-tzinfo rule
(which compares wall times and ignores the fold).
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from cutover.text import shown

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEK = timedelta(days=7)
ALL_ENVS = "*"  # in a window's envs, or as `cutover freeze --env '*'`: every environment
ENV_MAX = 253  # as a plan's environment name: it becomes part of a workflow id
REASON_MAX = 1000
ZONE_NAME_MAX = 64  # the longest IANA name is about 32 characters
DAY_TIME_EXAMPLE = "'Fri 16:00'"
# A chain of windows (one ends where the next starts) longer than this has no end worth naming: None.
HORIZON = WEEK + timedelta(days=1)

_DAY_TIME = re.compile(r"([A-Za-z]{3})\s+([0-9]{1,2}):([0-9]{2})")
_DAY_TIME_MAX = 40  # longest text worth matching


def _env_name(value: str) -> str:
    """An environment name as plans have them: no whitespace or control characters."""
    bad = next((c for c in value if c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"must not contain whitespace or control characters, found {bad!r}")
    return value


EnvName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ENV_MAX), AfterValidator(_env_name)
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)]


def week_offset(text: object) -> timedelta:
    """'Fri 16:00' as the time since Monday 00:00; ValueError saying what is expected."""
    match = (
        _DAY_TIME.fullmatch(text.strip()) if isinstance(text, str) and len(text) <= _DAY_TIME_MAX else None
    )
    if match:
        day, hour, minute = match.group(1).title(), int(match.group(2)), int(match.group(3))
        if day in DAYS and hour < 24 and minute < 60:
            return timedelta(days=DAYS.index(day), hours=hour, minutes=minute)
    if isinstance(text, int) and not isinstance(text, bool):  # YAML 1.1 reads an unquoted 16:00 as 960
        raise ValueError(f"{text} is not a day and time like {DAY_TIME_EXAMPLE} (quote it in YAML)")
    raise ValueError(f"{shown(text)} is not a day and time like {DAY_TIME_EXAMPLE}")


def _day_time(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    day, rest = divmod(minutes, 24 * 60)
    return f"{DAYS[day]} {rest // 60:02d}:{rest % 60:02d}"


def time_zone(name: str) -> tzinfo:
    """The IANA zone of that name; UTC needs no time zone data (a slim image may have none)."""
    if name == "UTC":
        return UTC
    return ZoneInfo(name)


def _known_zone(name: str) -> str:
    try:
        if len(name) > ZONE_NAME_MAX:
            raise ValueError(name)
        time_zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # ValueError: a path or an empty name, not a key
        if not available_timezones():
            raise ValueError(
                f"{shown(name)}: this machine has no time zone data (install the tzdata package)"
            ) from None
        raise ValueError(f"{shown(name)} is not an IANA time zone such as 'Europe/Berlin' or 'UTC'") from None
    return name


class ActiveFreeze(BaseModel):
    """Why an environment is frozen now and until when (UTC; None: until a human lifts it, or no end
    within a week of calendar windows). `by` names who set a manual freeze."""

    model_config = ConfigDict(frozen=True)

    env: str
    reason: str
    until: AwareDatetime | None = None
    source: Literal["calendar", "manual"]
    by: str | None = None

    def describe(self) -> str:
        """One line: 'prod is frozen until 2026-03-30 06:00 UTC (calendar): release freeze'."""
        what = "every environment is" if self.env == ALL_ENVS else f"{self.env} is"
        until = f"until {shown_instant(self.until)}" if self.until else "until lifted"
        who = f"by {self.by}" if self.by else self.source
        return f"{what} frozen {until} ({who}): {one_line(self.reason)}"


def shown_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def one_line(text: str) -> str:
    """A reason as one line: a YAML block or a pasted paragraph must not break a listing."""
    return " ".join(text.split())


class FreezeWindow(BaseModel):
    """A weekly window in which no migration moves the environments named (`*`: every one)."""

    model_config = ConfigDict(extra="forbid")

    envs: list[EnvName] = Field(min_length=1)
    start: str = Field(description="day and time it begins, e.g. 'Fri 16:00'")
    end: str = Field(description="day and time it ends, e.g. 'Mon 08:00' (may wrap over the week's end)")
    timezone: Annotated[str, AfterValidator(_known_zone)] = "UTC"
    reason: Reason

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: object) -> str:
        return _day_time(week_offset(value))

    @field_validator("end", mode="before")
    @classmethod
    def _end(cls, value: object, info: ValidationInfo) -> str:
        end = week_offset(value)
        start = info.data.get("start")
        if isinstance(start, str) and week_offset(start) == end:
            raise ValueError(f"{_day_time(end)} is also the start: a window must last some time")
        return _day_time(end)

    def applies_to(self, env: str) -> bool:
        return ALL_ENVS in self.envs or env in self.envs

    def holds_at(self, now: datetime) -> bool:
        """Whether the instant falls in the window (its start included, its end not)."""
        offset = _wall(now, time_zone(self.timezone))[1]
        start, end = week_offset(self.start), week_offset(self.end)
        if start < end:
            return start <= offset < end
        return offset >= start or offset < end  # wraps over Sunday night

    def end_after(self, now: datetime) -> datetime:
        """The first end of this window strictly after the instant, in UTC."""
        zone = time_zone(self.timezone)
        wall, offset = _wall(now, zone)
        end = wall + (week_offset(self.end) - offset) % WEEK
        after = now.astimezone(UTC)
        candidates = (_instant(day, fold, zone) for day in (end, end + WEEK) for fold in (0, 1))
        return next(instant for instant in candidates if instant > after)


def _wall(now: datetime, zone: tzinfo) -> tuple[datetime, timedelta]:
    """The instant's wall time in zone (naive), and how long after that week's Monday 00:00 it is."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware instant, got {now.isoformat()}")
    wall = now.astimezone(zone).replace(tzinfo=None)
    monday = (wall - timedelta(days=wall.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return wall, wall - monday


def _instant(wall: datetime, fold: int, zone: tzinfo) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def active_window(windows: Sequence[FreezeWindow], env: str, now: datetime) -> ActiveFreeze | None:
    """The calendar's freeze of env at the instant now (timezone-aware), or None.

    The reason is the first holding window's (config order). `until` is when env is free again: the
    latest end of the windows holding, followed on while another window holds at that end (two
    windows that touch are one freeze); None when they leave no gap within HORIZON.
    """
    mine = [window for window in windows if window.applies_to(env)]
    holding = [window for window in mine if window.holds_at(now)]
    if not holding:
        return None
    return ActiveFreeze(
        env=env, reason=holding[0].reason, until=_freeze_end(mine, now), source="calendar", by=None
    )


def _freeze_end(windows: Sequence[FreezeWindow], now: datetime) -> datetime | None:
    """Each turn jumps to a later end of some window, and a window ends at most twice in HORIZON (a
    DST week aside), so the turns are bounded; running out of them means no gap: None."""
    start = until = now.astimezone(UTC)
    for _ in range(3 * len(windows) + 3):
        holding = [window for window in windows if window.holds_at(until)]
        if not holding:
            return until
        until = max(window.end_after(until) for window in holding)
        if until - start > HORIZON:
            return None
    return None


class FreezesConfig(BaseModel):
    """The platform config's `freezes:` section: the calendar every migration's worker obeys."""

    model_config = ConfigDict(extra="forbid")

    windows: list[FreezeWindow] = Field(default_factory=list)

    def active(self, env: str, now: datetime) -> ActiveFreeze | None:
        return active_window(self.windows, env, now)
