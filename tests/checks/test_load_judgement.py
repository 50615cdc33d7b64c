"""The load check's statistics on counts alone: exact where it can be checked by brute force, lenient
with small samples slightly over a limit, firm with clear excesses, and failing green that is exactly at
its limit no more often than ALPHA."""

from math import comb

import pytest

from cutover.checks import load_judgement as judge
from cutover.checks.load_judgement import ALPHA


def pmf(k: int, n: int, p: float) -> float:
    return comb(n, k) * p**k * (1 - p) ** (n - k)


@pytest.mark.parametrize(("n", "p"), [(1, 0.5), (20, 0.3), (400, 0.01), (50, 0.5), (7, 0.99), (30, 0.0)])
def test_the_binomial_tail_is_exact(n: int, p: float) -> None:
    for k in range(-1, n + 2):
        exact = sum(pmf(i, n, p) for i in range(max(k, 0), n + 1))
        assert judge.binomial_tail(k, n, p) == pytest.approx(exact, rel=1e-9, abs=1e-15), k
    assert judge.binomial_tail(0, n, 1.0) == judge.binomial_tail(n, n, 1.0) == 1.0


def test_the_tail_of_ten_million_requests_is_quick_and_sane() -> None:
    n = 10_000_000
    tails = [judge.binomial_tail(k, n, 0.01) for k in (99_000, 100_000, 100_500, 101_000, 102_000)]
    assert tails == sorted(tails, reverse=True)
    assert tails[1] == pytest.approx(0.5, abs=0.01) and tails[-1] < 1e-9
    assert judge.lower_bound(101_000, n) == pytest.approx(0.01, rel=0.01)


def test_the_lower_bound_is_clopper_pearsons() -> None:
    assert judge.lower_bound(0, 400) == 0.0
    assert judge.lower_bound(10, 10) == pytest.approx(ALPHA ** (1 / 10), rel=1e-9)  # p^n = alpha
    bound = judge.lower_bound(20, 400)
    assert judge.binomial_tail(20, 400, bound) == pytest.approx(ALPHA, rel=1e-6)


def test_an_error_rate_slightly_over_the_limit_in_a_small_sample_passes() -> None:
    passed, why = judge.error_rate_within("green", 6, 400, 0.01)  # 1.5% of 400
    assert passed and why == "green errors: 6 of 400 (1.5%), over 1% but not significantly"
    within = judge.error_rate_within("green", 3, 400, 0.01)
    assert within == (True, "green errors: 3 of 400 (0.75%), at most 1%")
    assert judge.error_rate_within("green", 120, 10_000, 0.01)[0]  # 1.2%: p = 0.03


def test_a_clear_excess_of_errors_fails_saying_by_how_much() -> None:
    passed, why = judge.error_rate_within("green", 20, 400, 0.01)  # 5%
    assert not passed
    assert why.startswith("green errors: 20 of 400 (5%), at least 2.")
    assert why.endswith("(99% confidence) > 1% allowed")
    assert not judge.error_rate_within("green", 60_000, 5_000_000, 0.01)[0]  # 1.2%, but of millions
    assert not judge.error_rate_within("green", 1, 400, 0.0)[0]  # none allowed: one is evidence
    assert judge.error_rate_within("green", 0, 400, 0.0)[0]
    assert judge.error_rate_within("green", 400, 400, 1.0)[0]
    assert judge.error_rate_within("green", 0, 0, 0.01)[0]  # nothing sent: judged elsewhere (an error)


@pytest.mark.parametrize(("n", "limit"), [(400, 0.01), (1000, 0.05), (50, 0.5)])
def test_green_exactly_at_its_limit_fails_at_most_alpha_of_the_time(n: int, limit: float) -> None:
    false_fails = sum(pmf(k, n, limit) for k in range(n + 1) if not judge.share_within("x", k, n, limit)[0])
    assert 0 < false_fails <= ALPHA


def test_latency_limits_count_the_requests_slower_than_the_limit() -> None:
    assert judge.latency_within("green", 0.99, 50, 3, 100)[0]  # 3 of 100 over: p = 0.08
    passed, why = judge.latency_within("green", 0.99, 50, 10, 100)
    assert not passed and why.startswith("green p99 <= 50 ms: slower: 10 of 100 (10%), at least")
    assert judge.latency_within("green", 0.5, 20, 55, 100)[0]
    assert not judge.latency_within("green", 0.5, 20, 80, 100)[0]
    assert not judge.latency_within("green", 0.95, 20, 15, 100)[0]


def test_the_quantile_bound_is_the_least_order_statistic_above_it_with_confidence() -> None:
    n = 10_000
    each = [(float(i + 1), 1) for i in range(n)]  # the i-th smallest sample is i ms
    bound = judge.quantile_upper_bound(each, 0.99)
    assert bound is not None
    rank = int(bound)
    assert judge.binomial_tail(rank, n, 0.99) <= ALPHA < judge.binomial_tail(rank - 1, n, 0.99)
    assert 9_900 < rank < 9_950

    least = judge.min_samples_to_bound(0.99, ALPHA / 2)
    assert least == 528  # 0.99^528 <= 0.005
    too_few, enough = [(1.0, least - 2), (9.0, 1)], [(1.0, least - 1), (9.0, 1)]
    assert judge.quantile_upper_bound(too_few, 0.99, ALPHA / 2) is None
    assert judge.quantile_upper_bound(enough, 0.99, ALPHA / 2) == 9.0  # the max
    assert judge.quantile_upper_bound(too_few, 0.99, ALPHA) == 9.0  # a weaker bound needs fewer
    assert judge.quantile_upper_bound([], 0.99) is None


def test_the_p99_ratio_bounds_blues_p99_then_tests_greens_share_slower() -> None:
    blue = [(1.0, 590), (5.0, 10)]  # 600 requests, p99 bound: the max, 5 ms

    def green(slower: int) -> tuple[bool, str]:
        return judge.p99_ratio_within(1.5, blue, lambda ms: slower if ms == 7.5 else -1, 600)

    assert green(0)[0] and green(8)[0]  # 1.3% of 600: not significant
    passed, why = green(600)
    assert not passed
    assert why.startswith("green p99 <= 1.5 x blue's: green slower than 7.5 ms (1.5 x blue's p99 bound 5 ms)")
    assert "600 of 600 (100%)" in why

    passed, why = judge.p99_ratio_within(1.5, [(1.0, 300)], lambda ms: 300, 300)
    assert passed
    assert why == "green p99 <= 1.5 x blue's: not judged, blue's p99 needs 528 requests to bound (300 ended)"


def test_an_error_rate_increase_is_a_two_sample_test() -> None:
    assert judge.error_increase_within(0, 400, 0, 400, 0.0)[0]
    assert judge.error_increase_within(6, 400, 0, 400, 0.0) == (
        True,
        "green errors <= blue's + 0%: green 6 of 400 (1.5%), blue 0 of 400 (0%), more but not significantly",
    )
    passed, why = judge.error_increase_within(10, 400, 0, 400, 0.0)
    assert not passed and why.endswith("at least 0.652% more (99% confidence)")
    assert judge.error_increase_within(30, 1000, 10, 1000, 0.02)[0]  # exactly 2 points more
    assert not judge.error_increase_within(60, 1000, 10, 1000, 0.02)[0]  # 5 points more
    assert judge.error_increase_within(50, 1000, 50, 1000, 0.0)[0]


@pytest.mark.parametrize(("blue", "allowed", "n"), [(0.02, 0.01, 200), (0.01, 0.0, 300), (0.05, 0.02, 300)])
def test_green_exactly_at_blues_plus_the_increase_fails_at_most_alpha_of_the_time(
    blue: float, allowed: float, n: int
) -> None:
    green_p = [pmf(k, n, blue + allowed) for k in range(n + 1)]
    blue_p = [pmf(k, n, blue) for k in range(n + 1)]
    false_fails = sum(
        green_p[g] * blue_p[b]
        for g in range(n + 1)
        if green_p[g] > 1e-12
        for b in range(n + 1)
        if blue_p[b] > 1e-12 and not judge.error_increase_within(g, n, b, n, allowed)[0]
    )
    assert false_fails <= ALPHA
