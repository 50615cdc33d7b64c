"""The local environment's traffic as counts: split by the route's weight, none on a side with none,
slow samples from its lognormal latency."""

import math
from datetime import timedelta
from pathlib import Path
from statistics import NormalDist

from cutover.analysis.counts import LatencyThresholds
from cutover.demo.seed import BLUE, GREEN, seed
from cutover.models import WeightChange
from cutover.platform.local import LATENCY_SIGMA, LOCAL_REQUESTS_PER_SECOND


def test_counts_follow_the_weights(tmp_path: Path) -> None:
    local = seed(tmp_path / "local.json", {"green_error_from_weight": 25})
    minute = timedelta(minutes=1)
    assert local.counts(GREEN, "shop", "checkout", minute).requests == 0
    assert local.counts(GREEN, "shop", "checkout", minute).p99_ms is None
    local.set_green_percent(
        WeightChange(service="checkout", namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=25)
    )
    green, blue = (local.counts(env, "shop", "checkout", minute) for env in (GREEN, BLUE))
    assert green.requests + blue.requests == LOCAL_REQUESTS_PER_SECOND * 60
    assert green.requests == LOCAL_REQUESTS_PER_SECOND * 60 // 4
    assert green.errors / green.requests > 10 * blue.errors / blue.requests, "the injected failure is missing"


def test_slow_counts_are_the_lognormal_tail(tmp_path: Path) -> None:
    """Latency lognormal with sigma 0.5, its 99th percentile the synthetic p99: 1% is slower than
    the p99, and the share slower than T is the normal tail at (ln T - ln p99) / 0.5 + z(0.99)."""
    local = seed(tmp_path / "local.json", {})
    minute = timedelta(minutes=1)
    p99 = local.sample(BLUE, "shop", "checkout")[1]
    blue = local.counts(BLUE, "shop", "checkout", minute, LatencyThresholds(p99, 2 * p99))
    assert blue.latency_samples == blue.requests == 6000
    assert blue.slow == 60, "1% of 6000 slower than the p99"
    tail = 1 - NormalDist().cdf(math.log(2) / LATENCY_SIGMA + NormalDist().inv_cdf(0.99))
    assert blue.slow_over_limit == round(6000 * tail) == 1, "twice the p99 is far in the tail"
    median = p99 * math.exp(-LATENCY_SIGMA * NormalDist().inv_cdf(0.99))
    assert local.counts(BLUE, "shop", "checkout", minute, LatencyThresholds(median, 1e9)).slow == 3000
    unasked = local.counts(BLUE, "shop", "checkout", minute, LatencyThresholds(None, p99))
    assert (unasked.slow, unasked.slow_over_limit) == (None, 60)
    assert (local.counts(BLUE, "shop", "checkout", minute).slow_over_limit) is None, (
        "no thresholds, no counts"
    )


def test_blue_and_green_of_a_service_have_one_p99(tmp_path: Path) -> None:
    """A healthy green counted against blue's p99 must not look slower; services may differ."""
    local = seed(tmp_path / "local.json", {"green_error_from_weight": 25})
    local.set_green_percent(
        WeightChange(service="checkout", namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=50)
    )
    for service in ("checkout", "catalog"):
        assert local.sample(BLUE, "shop", service)[1] == local.sample(GREEN, "shop", service)[1]
    blue_p99 = local.sample(BLUE, "shop", "checkout")[1]
    green, blue = (
        local.counts(env, "shop", "checkout", timedelta(minutes=1), LatencyThresholds(blue_p99, 500.0))
        for env in (GREEN, BLUE)
    )
    assert green.slow == blue.slow == 30, "1% of each side's 3000"


def test_baseline_is_equal_periods_of_the_current_split(tmp_path: Path) -> None:
    local = seed(tmp_path / "local.json", {})
    local.set_green_percent(
        WeightChange(service="checkout", namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=25)
    )
    baseline = local.baseline(BLUE, "shop", "checkout", timedelta(minutes=1), periods=60, limit_ms=500.0)
    p99 = local.sample(BLUE, "shop", "checkout")[1]
    assert (len(baseline.periods), baseline.period_seconds, baseline.compare_ms) == (60, 60.0, p99)
    period = baseline.periods[0]
    assert set(baseline.periods) == {period}, "the simulation has no noise"
    assert period == local.counts(
        BLUE, "shop", "checkout", timedelta(minutes=1), LatencyThresholds(p99, 500.0)
    )
    assert (period.requests, period.slow) == (4500, 45), "blue's 75% of 6000, 1% over its p99"
