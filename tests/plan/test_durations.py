"""Durations: the short forms people write, and nothing that could crash or overflow later."""

from datetime import timedelta
from typing import Any

import pytest

from cutover.durations import MAX_DURATION, DurationTooLong, format_duration, parse_duration

ACCEPTED = {
    "90s": timedelta(seconds=90),
    "30m": timedelta(minutes=30),
    " 1H30m ": timedelta(hours=1, minutes=30),
    "2d": timedelta(days=2),
    "45": timedelta(seconds=45),
    45: timedelta(seconds=45),
    30.0: timedelta(seconds=30),
    0: timedelta(0),
    "3650d": MAX_DURATION,
    timedelta(minutes=5): timedelta(minutes=5),
}

REFUSED: list[Any] = [
    True,
    None,
    [],
    {},
    "",
    "d",
    "1x",
    "-5",
    "1.5",
    "٣s",  # an Arabic-Indic digit: int() would take it, the plan's grammar does not
    "9" * 5000,  # int() would refuse it with its own message (more than 4300 digits)
    1.5,
    -1,
    float("nan"),
    float("inf"),
    float("-inf"),
    10**100,
    -(10**100),
    1e300,
    "99999999999d",
    "3651d",
    timedelta(days=4000),
    timedelta(microseconds=1),
    timedelta(seconds=-1),
]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED.items(), ids=[repr(v) for v in ACCEPTED])
def test_accepted_and_written_back_the_same(value: Any, expected: timedelta) -> None:
    assert parse_duration(value) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("value", REFUSED, ids=[repr(v)[:30] for v in REFUSED])
def test_refused_with_a_value_error_and_nothing_else(value: Any) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(value)
    assert type(caught.value) in (ValueError, DurationTooLong)
    assert len(str(caught.value)) < 120 and "\n" not in str(caught.value)


@pytest.mark.parametrize("value", ["3651d", "99999999999d", 10**100, 1e300, timedelta(days=4000)])
def test_longer_than_ten_years_is_too_long(value: Any) -> None:
    with pytest.raises(DurationTooLong, match=r"^duration too long: at most 3650d$"):
        parse_duration(value)
