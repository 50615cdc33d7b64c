"""Field types the plan's sections share: strict sections, names, numbers, bounded durations."""

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cutover.durations import DurationTooLong, format_duration, parse_duration
from cutover.text import cut

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# Numbers are numbers: no booleans (YAML's yes/no), no strings, no NaN or infinity.
Limit = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Strict(BaseModel):
    """A section of the plan: a field it does not know is a typo, refused."""

    model_config = ConfigDict(extra="forbid")


def within(low: timedelta, high: timedelta) -> BeforeValidator:
    """A duration from low to high (both included)."""

    def check(value: Any) -> timedelta:
        try:
            duration = parse_duration(value)
        except DurationTooLong:
            written = value.strip() if isinstance(value, str) else f"{value}s"
            raise ValueError(f"must be at most {format_duration(high)}, got {cut(written)}") from None
        if duration < low:
            raise ValueError(f"must be at least {format_duration(low)}, got {format_duration(duration)}")
        if duration > high:
            raise ValueError(f"must be at most {format_duration(high)}, got {format_duration(duration)}")
        return duration

    return BeforeValidator(check)
