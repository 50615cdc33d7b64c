"""parse_plan is the door for plans pasted into the UI: any value at all gets a PlanError, nothing else."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from cutover.plan.model import Plan, PlanError, parse_plan
from tests.plan.plans import GOOD, changed


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def cyclic() -> dict[str, Any]:
    value: dict[str, Any] = {}
    value["name"] = value
    return value


HOSTILE: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    10**100,
    -(10**100),
    10**5000,
    1.5,
    1e300,
    float("nan"),
    float("inf"),
    "",
    " ",
    "\n",
    "\x00",
    "x" * 10_000,
    "30m",
    "exposed",
    [],
    [None],
    [True, 5, 100],
    {},
    {"": None},
    {"name": {}},
    {1: 2},
    {(1, 2): 3},
    {"a\nb": 1},
    {"k" * 10_000: 1},
    b"\xff",
    {1, 2},
    nested(100_000),
    cyclic(),
    [["x" * 1024] * 1024] * 1024,  # a gigabyte of JSON, if it were written out
]
# One line that starts with a field of the plan ('plan' for the whole, 'extra' below, or a quoted key).
LINE = re.compile(rf"^({'|'.join(['plan', 'extra', *Plan.model_fields])}|\[)[^\n]*: [^\n]+$")


def paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted path in a plan's data, containers and leaves alike."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        path = f"{prefix}{key}"
        yield path
        yield from paths(value, f"{path}.")


def assert_refused_or_parsed(data: Any) -> None:
    try:
        assert isinstance(parse_plan(data), Plan)
    except PlanError as error:
        assert error.problems
        for line in error.problems:
            assert LINE.match(line) and len(line) < 600, line


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_any_value_as_the_whole_plan(value: Any) -> None:
    with pytest.raises(PlanError):
        parse_plan(value)
    assert_refused_or_parsed(value)


@pytest.mark.parametrize("path", list(paths(GOOD)))
def test_any_value_in_any_field(path: str) -> None:
    for value in HOSTILE:
        assert_refused_or_parsed(changed(path, value))


def test_any_value_as_an_unknown_field() -> None:
    for value in HOSTILE:
        assert_refused_or_parsed({**GOOD, "extra": value})
