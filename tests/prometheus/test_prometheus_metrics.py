"""PrometheusMetrics against a real Prometheus scraping the test's exporter."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from cutover.demo.local_servers import free_port
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.prometheus import PrometheusMetrics, PrometheusQueries
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
