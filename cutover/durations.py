"""Human durations ("90s", "30m", "1h30m") that survive a JSON round trip through the UI."""

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_PART = re.compile(r"(\d+)(d|h|m|s)")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    """Accept '1h30m', '45s', a number of seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30m', got a boolean")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("duration must not be negative")
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return timedelta(seconds=int(text))
        parts = _PART.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))
    raise ValueError(f"invalid duration {value!r}: use e.g. '90s', '30m', '1h30m' or seconds")


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
