"""Text sparklines of green's and blue's error rates over a step's looks.

Why text: the review is Markdown read in a terminal, a pull request or a bucket, and `status`
prints to a terminal. A line of block characters shows an error rate that climbs during a bake at
a glance, where the step's total counts hide it, and needs no image to host.
"""

from collections.abc import Sequence
from typing import NamedTuple

from cutover.models import Series

BLOCKS = "▁▂▃▄▅▆▇█"
NO_REQUESTS = "·"  # no requests, no rate: distinct from a rate of zero (and not a space a table trims)


class ErrorRates(NamedTuple):
    """Both lines drawn on one scale, `top` (the highest rate of either), so their heights compare."""

    green: str
    blue: str
    top: float


def sparkline(values: Sequence[float | None], top: float) -> str:
    """One character per value, scaled to `top`; None (nothing measured) is a dot.

    Zero is the lowest block and any positive value at least the next: one error is never drawn
    as none, however high the top.
    """
    return "".join(_mark(value, top) for value in values)


def error_rates(looks: Series) -> ErrorRates:
    """Green's and blue's error rate per point of the series."""
    green = [_rate(p.green_errors, p.green_requests) for p in looks.points]
    blue = [_rate(p.blue_errors, p.blue_requests) for p in looks.points]
    top = max((rate for rate in green + blue if rate is not None), default=0.0)
    return ErrorRates(sparkline(green, top), sparkline(blue, top), top)


def _mark(value: float | None, top: float) -> str:
    if value is None:
        return NO_REQUESTS
    if value <= 0 or top <= 0:
        return BLOCKS[0]
    return BLOCKS[1 + round(min(value / top, 1.0) * (len(BLOCKS) - 2))]


def _rate(errors: int, requests: int) -> float | None:
    return errors / requests if requests else None
