"""PrometheusMetrics against a real Prometheus scraping the test's exporter."""

import math
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from cutover.analysis.counts import Baseline, LatencyThresholds, Side
from cutover.demo.local_servers import free_port
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.prometheus import PrometheusMetrics, PrometheusQueries, quantile, slower_than
from tests.prometheus.conftest import TRAFFIC

SELECTOR = 'env="$env",namespace="$namespace",service="$service"'
QUERIES = PrometheusQueries(
    error_rate=f'sum(rate(http_requests_total{{code="500",{SELECTOR}}}[10s]))'
    f" / sum(rate(http_requests_total{{{SELECTOR}}}[10s]))",
    p99_latency_ms=f"max(request_latency_p99_ms{{{SELECTOR}}})",
    requests=f"sum(increase(http_requests_total{{{SELECTOR}}}[$window]))",
    errors=f'sum(increase(http_requests_total{{code="500",{SELECTOR}}}[$window]))',
)


def wait_for_rates(metrics: PrometheusMetrics) -> None:
    """rate() needs two scrapes in its window; wait for them, bounded."""
    deadline = time.monotonic() + 30
    while metrics.sample("green", "shop", "checkout")[0] == 0.0:
        if time.monotonic() > deadline:
            raise AssertionError("prometheus never had two scrapes")
        time.sleep(0.5)


def test_error_rate_and_latency_per_environment(prometheus_url: str) -> None:
    metrics = PrometheusMetrics(prometheus_url, QUERIES)
    wait_for_rates(metrics)
    for (env, _, _), (ok, failed, p99) in TRAFFIC.items():
        error_rate, latency = metrics.sample(env, "shop", "checkout")
        assert error_rate == pytest.approx(failed / (ok + failed), rel=0.05)
        assert latency == p99


def test_range_query_and_missing_series(prometheus_url: str) -> None:
    metrics = PrometheusMetrics(prometheus_url, QUERIES)
    wait_for_rates(metrics)
    end = datetime.now(UTC)
    values = metrics.range('max(request_latency_p99_ms{env="blue"})', end - timedelta(seconds=5), end, 1)
    assert values and set(values) == {120.0}
    assert metrics.sample("purple", "shop", "checkout") == (0.0, 0.0)


def test_bad_promql_is_permanent(prometheus_url: str) -> None:
    metrics = PrometheusMetrics(
        prometheus_url, PrometheusQueries(error_rate="sum(", p99_latency_ms="1", requests="1", errors="1")
    )
    with pytest.raises(PermanentError, match="Prometheus rejected 'sum\\('"):
        metrics.sample("blue", "shop", "checkout")


def test_unreachable_prometheus_is_transient() -> None:
    metrics = PrometheusMetrics(f"http://127.0.0.1:{free_port()}", QUERIES, timeout=1)
    with pytest.raises(TransientError, match="unreachable"):
        metrics.sample("blue", "shop", "checkout")


def test_counts_over_a_window(prometheus_url: str) -> None:
    metrics = PrometheusMetrics(prometheus_url, QUERIES)
    wait_for_rates(metrics)
    for (env, _, _), (ok, failed, p99) in TRAFFIC.items():
        counted = metrics.counts(env, "shop", "checkout", timedelta(seconds=10))
        assert counted.requests > 0 and counted.latency_samples == counted.requests
        # increase() extrapolates to the window's edges: within one scrape's worth of the profile
        assert abs(counted.errors - counted.requests * failed / (ok + failed)) <= failed + 1, counted
        assert counted.p99_ms == p99
    nothing = metrics.counts("purple", "shop", "checkout", timedelta(seconds=10))
    assert (nothing.requests, nothing.errors, nothing.p99_ms) == (0, 0, None), "no traffic read as a rate"


def test_counts_are_required_and_the_old_rate_only_for_old_migrations(prometheus_url: str) -> None:
    with pytest.raises(ValidationError, match="requests\n  Field required"):
        PrometheusQueries.model_validate({"error_rate": "1", "p99_latency_ms": "1", "errors": "1"})
    counting = PrometheusQueries(requests="vector(1)", errors="vector(0)", p99_latency_ms="vector(1)")
    metrics = PrometheusMetrics(prometheus_url, counting)
    assert metrics.counts("blue", "shop", "checkout", timedelta(seconds=10)).requests == 1
    with pytest.raises(PermanentError, match="`error_rate` is needed by migrations started before 0.4"):
        metrics.sample("blue", "shop", "checkout")


BUCKETS = QUERIES.model_copy(
    update={
        "latency_buckets": "sum by (le) "
        f"(increase(http_request_duration_seconds_bucket{{{SELECTOR}}}[$window]))"
    }
)


def share_of(side: Side, slow: int | None, share: float) -> bool:
    """slow is share of the side's samples, up to rounding (increase() extrapolates every bucket alike)."""
    return slow is not None and side.latency_samples > 0 and abs(slow - share * side.latency_samples) <= 1


def test_slow_counts_from_the_histogram(prometheus_url: str) -> None:
    """Blue per scrape: 60 of 100 at most 100 ms, 95 at most 250 ms; green: 97 at most 1 s."""
    metrics = PrometheusMetrics(prometheus_url, BUCKETS)
    wait_for_rates(metrics)
    window = timedelta(seconds=10)
    blue = metrics.counts("blue", "shop", "checkout", window, LatencyThresholds(100.0, 175.0))
    assert abs(blue.latency_samples - blue.requests) <= 1, "the histogram counts every request"
    assert share_of(blue, blue.slow, 0.40), f"on a bucket's bound: {blue}"
    assert share_of(blue, blue.slow_over_limit, 0.225), f"inside (100, 250]: 60 + 35 x 75/150 at most: {blue}"
    green = metrics.counts("green", "shop", "checkout", window, LatencyThresholds(1000.0, 2000.0))
    assert share_of(green, green.slow, 0.03), "the highest finite bound"
    assert green.slow_over_limit is None, "3% beyond 1 s: the histogram cannot tell how many beyond 2 s"
    beyond = metrics.counts("blue", "shop", "checkout", window, LatencyThresholds(None, 2000.0))
    assert (beyond.slow, beyond.slow_over_limit) == (None, 0), "no blue p99 asked; nothing beyond 1 s"


def test_without_buckets_there_are_no_slow_counts(prometheus_url: str) -> None:
    metrics = PrometheusMetrics(prometheus_url, QUERIES)
    wait_for_rates(metrics)
    counted = metrics.counts(
        "blue", "shop", "checkout", timedelta(seconds=10), LatencyThresholds(100.0, 175.0)
    )
    assert counted.requests > 0 and counted.latency_samples == counted.requests
    assert (counted.slow, counted.slow_over_limit) == (None, None)


def served_baseline(metrics: PrometheusMetrics, periods: int, limit_ms: float) -> Baseline:
    """Blue's baseline in 3 s periods once its newest holds traffic (Prometheus scrapes a second
    apart from a few seconds after it starts), bounded."""
    deadline = time.monotonic() + 30
    while True:
        baseline = metrics.baseline("blue", "shop", "checkout", timedelta(seconds=2.5), periods, limit_ms)
        if baseline.periods[-1].requests:
            return baseline
        if time.monotonic() > deadline:
            raise AssertionError(f"prometheus has no traffic in its newest period: {baseline}")
        time.sleep(0.5)


def test_baseline_periods_oldest_first_with_the_span_p99(prometheus_url: str) -> None:
    """80 periods of 3 s (2.5 s rounded up): the oldest predate the server (zero), the newest hold
    its traffic, each counted against the span's p99 and the limit."""
    metrics = PrometheusMetrics(prometheus_url, BUCKETS)
    baseline = served_baseline(metrics, periods=80, limit_ms=175.0)
    assert (len(baseline.periods), baseline.period_seconds) == (80, 3.0)
    assert baseline.compare_ms == pytest.approx(500.0), "99 of 100 at most 500 ms"
    first = next(i for i, side in enumerate(baseline.periods) if side.requests)
    assert first > 0 and all(
        side == Side(0, 0, slow=0, slow_over_limit=0) for side in baseline.periods[:first]
    )
    served = baseline.periods[first:]
    assert all(side.requests for side in served), "a period since the server started is empty"
    for side in served:
        assert share_of(side, side.slow, 0.01) and share_of(side, side.slow_over_limit, 0.225), side
        assert abs(side.errors - 0.01 * side.requests) <= 1 and side.p99_ms == 120.0
    green = metrics.baseline("green", "shop", "checkout", timedelta(seconds=3), periods=3, limit_ms=500.0)
    assert green.compare_ms == pytest.approx(1000.0), "beyond the highest finite bound: that bound"


def test_baseline_without_buckets_compares_with_the_p99_template(prometheus_url: str) -> None:
    metrics = PrometheusMetrics(prometheus_url, QUERIES)
    baseline = served_baseline(metrics, periods=3, limit_ms=175.0)
    assert baseline.compare_ms == 120.0
    assert all(p.slow is None and p.slow_over_limit is None for p in baseline.periods)
    quiet = metrics.baseline("purple", "shop", "checkout", timedelta(seconds=3), periods=3, limit_ms=175.0)
    assert quiet.compare_ms is None and quiet.periods == (Side(0, 0),) * 3


def test_buckets_without_inf_are_refused(prometheus_url: str) -> None:
    cut = BUCKETS.model_copy(
        update={"latency_buckets": BUCKETS.latency_buckets.replace('{env="$env"', '{le!="+Inf",env="$env"')}
        if BUCKETS.latency_buckets
        else {}
    )
    metrics = PrometheusMetrics(prometheus_url, cut)
    wait_for_rates(metrics)
    with pytest.raises(PermanentError, match='no le="\\+Inf" bucket'):
        metrics.counts("blue", "shop", "checkout", timedelta(seconds=10), LatencyThresholds(100.0, 175.0))


def test_bucket_arithmetic_is_histogram_quantile_s() -> None:
    buckets = [(100.0, 60.0), (250.0, 90.0), (500.0, 99.0), (math.inf, 100.0)]
    assert slower_than(buckets, 100.0) == 40, "a bound holds its own samples"
    assert slower_than(buckets, 200.0) == 20, "90 - 30 x 50/150 above 200"
    assert slower_than(buckets, 50.0) == 70, "the first bucket starts at 0"
    assert slower_than(buckets, 0.0) == 100
    assert slower_than(buckets, 500.0) == 1
    assert slower_than(buckets, 501.0) is None, "one sample beyond 500 ms: beyond 501?"
    assert slower_than([(500.0, 99.0), (math.inf, 99.0)], 800.0) == 0
    assert slower_than([], 100.0) == 0
    assert quantile(buckets, 0.5) == pytest.approx(100 * 50 / 60)
    assert quantile(buckets, 0.75) == pytest.approx(175.0)
    assert quantile(buckets, 0.995) == 500.0, "beyond the highest finite bound: that bound"
    assert quantile([(100.0, 0.0), (math.inf, 0.0)], 0.99) is None
