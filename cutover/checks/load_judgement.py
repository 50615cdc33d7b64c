"""The statistics behind a `load` check's verdict: pure functions of counts, each returning (passed,
explanation), so they are tested without servers.

A load is a sample: 400 requests with 6 errors (1.5%) say little about whether green's true error
rate is over 1%. A check that rolls green back must not do so by chance, so every criterion is a
one-sided test: it FAILS only when the counts show, at ALPHA = 1% significance, that the true rate is
over its limit, and passes otherwise (a small sample slightly over the limit passes; a clear excess
fails). Only the standard library: the binomial tail is summed exactly in logs.

- a share over a limit (errors / requests, requests slower than a latency limit): an exact one-sided
  binomial test, P(X >= k | n, limit) < ALPHA, the same as the Clopper-Pearson lower bound of the
  share being above the limit (the bound is what the explanation shows);
- p99 ratio: blue's p99 is itself estimated, so the threshold is R x an upper confidence bound of it
  (an order statistic, distribution-free), and green fails when significantly more than 1% of its
  requests are slower than that threshold; the two steps share ALPHA (ALPHA/2 each), and a blue
  sample too small to bound its p99 leaves the criterion unjudged (passed, saying so);
- error-rate increase: Newcombe's hybrid score interval for the difference of two proportions (from
  each side's Wilson interval; sound for small counts and zero errors, where a plain z-test is not);
  green fails when the difference's lower bound is above the increase allowed.
"""

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist

ALPHA = 0.01  # one-sided: green exactly at its limit fails at most 1 time in 100
Judgement = tuple[bool, str]


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exact: the terms are summed outward from k, away from the mode,
    where they shrink, until they no longer count (O(sqrt(n)) terms at worst, in logs, no overflow)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    if k > n * p:
        return min(1.0, _terms_from(k, n, p, upward=True))
    return max(0.0, 1.0 - _terms_from(k - 1, n, p, upward=False))


def _terms_from(start: int, n: int, p: float, *, upward: bool) -> float:
    """The sum of P(X = i) from i = start outward (up to n, or down to 0), start on the far side of the
    mode from where it goes."""
    log_term = (
        math.lgamma(n + 1)
        - math.lgamma(start + 1)
        - math.lgamma(n - start + 1)
        + start * math.log(p)
        + (n - start) * math.log1p(-p)
    )
    term = math.exp(log_term) if log_term > -745 else 0.0
    odds = p / (1 - p)
    total, i = 0.0, start
    while term > 0 and term >= total * 1e-16:
        total += term
        if upward:
            if i == n:
                break
            term *= (n - i) / (i + 1) * odds
            i += 1
        else:
            if i == 0:
                break
            term *= i / (n - i + 1) / odds
            i -= 1
    return total


def lower_bound(k: int, n: int, alpha: float = ALPHA) -> float:
    """The one-sided Clopper-Pearson lower confidence bound (1 - alpha) of a share seen as k of n: the
    p at which k or more would happen with probability alpha (found by bisection)."""
    if k <= 0 or n <= 0:
        return 0.0
    low, high = 0.0, k / n
    for _ in range(50):
        middle = (low + high) / 2
        if binomial_tail(k, n, middle) < alpha:
            low = middle
        else:
            high = middle
    return low


def share_within(what: str, k: int, n: int, limit: float, alpha: float = ALPHA) -> Judgement:
    """Is the true share at most `limit`? Fails only when k of n is significantly more (exact test)."""
    seen = f"{what}: {k:,} of {n:,} ({_percent(k / n if n else 0.0)})"
    if binomial_tail(k, n, limit) >= alpha:
        if k > n * limit:
            return True, f"{seen}, over {_percent(limit)} but not significantly"
        return True, f"{seen}, at most {_percent(limit)}"
    bound = lower_bound(k, n, alpha)
    confidence = _confidence(alpha)
    return False, f"{seen}, at least {_percent(bound)} ({confidence} confidence) > {_percent(limit)} allowed"


def error_rate_within(side: str, errors: int, requests: int, limit: float) -> Judgement:
    return share_within(f"{side} errors", errors, requests, limit)


def latency_within(side: str, quantile: float, limit_ms: float, slower: int, samples: int) -> Judgement:
    """`p99 <= limit` holds when at most 1% of requests are slower than the limit (p95: 5%, p50: 50%):
    a test on the count of slower requests, so no single percentile sample decides it."""
    name = f"{side} p{quantile * 100:g} <= {limit_ms:g} ms"
    return share_within(f"{name}: slower", slower, samples, 1 - quantile)


def quantile_upper_bound(
    buckets: Sequence[tuple[float, int]], quantile: float, alpha: float = ALPHA
) -> float | None:
    """An upper confidence bound (1 - alpha) of the quantile from a histogram ((upper bound ms, count),
    ascending): the r-th smallest sample, r the least rank with P(Binomial(n, q) >= r) <= alpha (then
    the true quantile is below the r-th sample with confidence 1 - alpha), as its bucket's upper bound.
    None when n is too small for any sample to be such a bound."""
    n = sum(count for _, count in buckets)
    if n == 0 or binomial_tail(n, n, quantile) > alpha:
        return None
    low, high = math.floor(quantile * n), n  # the least rank r with tail(r) <= alpha is in (low, high]
    while high - low > 1:
        middle = (low + high) // 2
        if binomial_tail(middle, n, quantile) <= alpha:
            high = middle
        else:
            low = middle
    seen = 0
    for upper, count in buckets:
        seen += count
        if seen >= high:
            return upper
    raise AssertionError("unreachable: the rank is at most the count")


def min_samples_to_bound(quantile: float, alpha: float = ALPHA) -> int:
    """The fewest samples whose maximum already bounds the quantile: q^n <= alpha."""
    return math.ceil(math.log(alpha) / math.log(quantile))


def p99_ratio_within(
    ratio: float,
    blue_buckets: Sequence[tuple[float, int]],
    green_slower_than: Callable[[float], int],
    green_samples: int,
    alpha: float = ALPHA,
) -> Judgement:
    """Is green's p99 at most `ratio` x blue's? Then at most 1% of green's requests are slower than
    ratio x blue's p99; green fails when significantly more are slower than ratio x an upper bound of
    blue's p99 (so blue's own sampling error never counts against green)."""
    blue_bound = quantile_upper_bound(blue_buckets, 0.99, alpha / 2)
    blue_n = sum(count for _, count in blue_buckets)
    name = f"green p99 <= {ratio:g} x blue's"
    if blue_bound is None:
        need = min_samples_to_bound(0.99, alpha / 2)
        return True, f"{name}: not judged, blue's p99 needs {need:,} requests to bound ({blue_n:,} ended)"
    threshold = ratio * blue_bound
    slower = green_slower_than(threshold)
    passed, explained = share_within(
        f"{name}: green slower than {_ms(threshold)} ({ratio:g} x blue's p99 bound {_ms(blue_bound)})",
        slower,
        green_samples,
        0.01,
        alpha / 2,
    )
    return passed, explained


def wilson(k: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of k of n at z (each side one-sided at z)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / scale
    return max(0.0, centre - half), min(1.0, centre + half)


def error_increase_within(
    green_errors: int,
    green_requests: int,
    blue_errors: int,
    blue_requests: int,
    allowed: float,
    alpha: float = ALPHA,
) -> Judgement:
    """Is green's error rate at most blue's + `allowed`? Fails when the lower bound (1 - alpha) of the
    difference, by Newcombe's hybrid score method, is above `allowed`."""
    z = NormalDist().inv_cdf(1 - alpha)
    green = green_errors / green_requests if green_requests else 0.0
    blue = blue_errors / blue_requests if blue_requests else 0.0
    green_low, _ = wilson(green_errors, green_requests, z)
    _, blue_high = wilson(blue_errors, blue_requests, z)
    bound = green - blue - math.hypot(green - green_low, blue_high - blue)
    seen = (
        f"green errors <= blue's + {_percent(allowed)}: green {green_errors:,} of {green_requests:,} "
        f"({_percent(green)}), blue {blue_errors:,} of {blue_requests:,} ({_percent(blue)})"
    )
    if bound > allowed:
        return False, f"{seen}, at least {_percent(bound)} more ({_confidence(alpha)} confidence)"
    if green - blue > allowed:
        return True, f"{seen}, more but not significantly"
    return True, seen


def _percent(share: float) -> str:
    return f"{share * 100:.3g}%"


def _confidence(alpha: float) -> str:
    return f"{(1 - alpha) * 100:g}%"


def _ms(ms: float) -> str:
    return f"{ms:.3g} ms"
