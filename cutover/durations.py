"""Human durations ("90s", "30m", "1h30m") that survive a JSON round trip through the UI."""

import math
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from cutover.text import shown

_TEXT = re.compile(r"(?:[0-9]+[dhms])+")
_PART = re.compile(r"([0-9]+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Longer than any duration has a use; refused before a timedelta (or a deadline now + it) overflows.
MAX_DURATION = timedelta(days=3650)
_MAX_SECONDS = int(MAX_DURATION.total_seconds())
# Longest text worth parsing: 3650d in seconds has 9 digits, so 40 characters is plenty.
_MAX_TEXT = 40


class DurationTooLong(ValueError):
    """Over MAX_DURATION: a ValueError, so callers can name their own, tighter bound instead."""


def parse_duration(value: Any) -> timedelta:
    """Accept '1h30m', '45s', a whole number of seconds, or a timedelta; raise only ValueError."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else _seconds(value)
    return timedelta(seconds=_checked(seconds))


def _seconds(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30m', got a boolean")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if len(text) <= _MAX_TEXT and text.isascii():
            if text.isdigit():
                return int(text)
            if _TEXT.fullmatch(text):
                return sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
    raise ValueError(f"invalid duration {shown(value, _MAX_TEXT)}: use e.g. '90s', '30m', '1h30m' or seconds")


def _checked(seconds: int | float) -> int | float:
    """Refuse what a timedelta cannot hold, and fractions the short form would drop on the way back."""
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError(f"duration must be a finite number of seconds, got {seconds}")
    if seconds < 0:
        raise ValueError("duration must not be negative")
    if seconds > _MAX_SECONDS:
        raise DurationTooLong(f"duration too long: at most {format_duration(MAX_DURATION)}")
    if seconds != int(seconds):
        raise ValueError(f"duration must be whole seconds, got {seconds}s")
    return seconds


def format_duration(value: timedelta) -> str:
    """Render a timedelta in the same short form the plan accepts."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    out = ""
    for unit, size in _UNIT_SECONDS.items():
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
