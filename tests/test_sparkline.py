"""Sparklines of error rates: no traffic is not a zero rate, and green and blue share one scale."""

from cutover.models import LookCounts, Series
from cutover.sparkline import error_rates, sparkline


def series(*points: tuple[int, int, int, int]) -> Series:
    """Looks of (green requests, green errors, blue requests, blue errors)."""
    looks = Series()
    for gr, ge, br, be in points:
        looks = looks.add(LookCounts(green_requests=gr, green_errors=ge, blue_requests=br, blue_errors=be))
    return looks


def test_a_point_with_no_requests_is_a_dot_not_a_zero_rate() -> None:
    assert sparkline([None, 0.0, None], 1.0) == "·▁·"
    lines = error_rates(series((100, 0, 0, 0), (0, 0, 100, 1)))
    assert (lines.green, lines.blue) == ("▁·", "·█")


def test_all_zero_rates_are_the_lowest_block() -> None:
    assert sparkline([0.0, 0.0, 0.0], 0.0) == "▁▁▁"
    lines = error_rates(series((100, 0, 100, 0), (50, 0, 60, 0)))
    assert lines == ("▁▁", "▁▁", 0.0)


def test_rates_scale_to_the_top_and_one_error_is_never_drawn_as_none() -> None:
    assert sparkline([0.0, 0.001, 0.5, 1.0, 2.0], 1.0) == "▁▂▅██"


def test_green_and_blue_share_one_scale() -> None:
    lines = error_rates(series((100, 10, 100, 0), (100, 0, 100, 20)))
    assert lines.top == 0.2, "the highest rate of either line"
    assert (lines.green, lines.blue) == ("▅▁", "▁█"), "green's rate is half of blue's highest"
