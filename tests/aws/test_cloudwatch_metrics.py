"""CloudWatchMetrics against moto over HTTP: the figures analysis gets for blue and green."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from cutover.analysis.counts import LatencyThresholds, Side
from cutover.platform.aws.cloudwatch import NAMESPACE, CloudWatchMetrics, percentile_rank, slower_than
from cutover.platform.aws.config import TargetGroupMetrics
from cutover.platform.errors import PermanentError
from cutover.platform.wiring import CloudWatchConfig, load_platform_config

NOW = datetime.now(UTC).replace(microsecond=0)
TARGETS = {
    "blue/shop/checkout": TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/blue/1"),
    "green/shop/checkout": TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/green/2"),
}


def publish(aws: Any, target: TargetGroupMetrics, requests: int, errors: int, latencies: list[float]) -> None:
    dimensions = [
        {"Name": "LoadBalancer", "Value": target.load_balancer},
        {"Name": "TargetGroup", "Value": target.target_group},
    ]
    data: list[dict[str, Any]] = [
        {"MetricName": "RequestCount", "Value": requests, "Timestamp": NOW - timedelta(seconds=30)},
        {
            "MetricName": "HTTPCode_Target_5XX_Count",
            "Value": errors,
            "Timestamp": NOW - timedelta(seconds=30),
        },
    ]
    data += [
        {"MetricName": "TargetResponseTime", "Value": value, "Timestamp": NOW - timedelta(seconds=10 + i)}
        for i, value in enumerate(latencies)
    ]
    for item in data:
        item["Dimensions"] = dimensions
    aws("cloudwatch").put_metric_data(Namespace=NAMESPACE, MetricData=data)


def test_error_rate_and_latency_per_environment(aws: Any) -> None:
    publish(aws, TARGETS["blue/shop/checkout"], requests=1000, errors=2, latencies=[0.08, 0.12])
    publish(aws, TARGETS["green/shop/checkout"], requests=200, errors=10, latencies=[0.3, 0.45])
    # moto has no percentile statistics, so the test reads the maximum; production uses p99.
    metrics = CloudWatchMetrics(aws("cloudwatch"), TARGETS, latency_stat="Maximum", clock=lambda: NOW)
    assert metrics.sample("blue", "shop", "checkout") == pytest.approx((0.002, 120.0))
    assert metrics.sample("green", "shop", "checkout") == pytest.approx((0.05, 450.0))


def test_no_traffic_yet_reads_as_zero(aws: Any) -> None:
    targets = {
        "green/shop/idle": TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/idle/3")
    }
    metrics = CloudWatchMetrics(aws("cloudwatch"), targets, latency_stat="Maximum", clock=lambda: NOW)
    assert metrics.sample("green", "shop", "idle") == (0.0, 0.0)


def test_unconfigured_service_is_refused(aws: Any) -> None:
    with pytest.raises(PermanentError, match="no CloudWatch target group configured for green/shop/x"):
        CloudWatchMetrics(aws("cloudwatch"), TARGETS).sample("green", "shop", "x")


def test_an_environment_in_another_region_is_read_there(
    aws: Any, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blue in eu-west-1, green in eu-central-1: each environment's figures come from its own region."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    targets = {
        "blue/shop/search": TargetGroupMetrics(
            load_balancer="app/blue/1", target_group="targetgroup/s-blue/1"
        ),
        "green/shop/search": TargetGroupMetrics(
            load_balancer="app/green/2", target_group="targetgroup/s-green/2"
        ),
    }
    publish(aws, targets["blue/shop/search"], requests=1000, errors=1, latencies=[0.1])
    frankfurt = boto3.client(
        "cloudwatch",
        region_name="eu-central-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    publish(lambda _: frankfurt, targets["green/shop/search"], requests=100, errors=3, latencies=[0.2])
    config = tmp_path / "platform.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "metrics": {
                    "kind": "cloudwatch",
                    "region": "eu-west-1",
                    "endpoint_url": moto_endpoint,
                    "regions": {"green": "eu-central-1"},
                    "targets": {k: v.model_dump() for k, v in targets.items()},
                    "latency_stat": "Maximum",
                }
            }
        )
    )
    metrics = load_platform_config(config).metrics
    assert isinstance(metrics, CloudWatchConfig)
    source = metrics.build()
    source.clock = lambda: NOW
    assert source.sample("blue", "shop", "search") == pytest.approx((0.001, 100.0))
    assert source.sample("green", "shop", "search") == pytest.approx((0.03, 200.0))
    without_regions = CloudWatchMetrics(aws("cloudwatch"), targets, latency_stat="Maximum", clock=lambda: NOW)
    assert without_regions.sample("green", "shop", "search") == (0.0, 0.0), "green's data is not in eu-west-1"


def test_counts_say_what_the_figures_rest_on(aws: Any) -> None:
    target = TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/counted/4")
    publish(aws, target, requests=400, errors=6, latencies=[0.2, 0.25, 0.3])
    metrics = CloudWatchMetrics(
        aws("cloudwatch"),
        {"green/shop/counted": target},
        latency_stat="Maximum",
        clock=lambda: NOW + timedelta(minutes=2),  # the minute of NOW is over and has arrived
    )
    counted = metrics.counts("green", "shop", "counted", timedelta(minutes=5))
    assert (counted.requests, counted.errors, counted.latency_samples) == (400, 6, 3)
    assert counted.p99_ms == pytest.approx(300.0)


def test_no_traffic_counts_as_no_requests_and_no_latency(aws: Any) -> None:
    target = TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/quiet/5")
    metrics = CloudWatchMetrics(aws("cloudwatch"), {"green/shop/quiet": target}, clock=lambda: NOW)
    counted = metrics.counts("green", "shop", "quiet", timedelta(minutes=1))
    assert (counted.requests, counted.errors, counted.p99_ms, counted.latency_samples) == (0, 0, None, 0)


def test_looks_read_whole_arrived_minutes_and_never_one_twice(aws: Any) -> None:
    """Requests at the middle of three minutes; looks a minute apart, at any second of a minute,
    each read the one whole minute that ended at least `delay` (1 minute) ago."""
    target = TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/minutes/6")
    minute = NOW.replace(second=0) - timedelta(minutes=10)
    dimensions = [
        {"Name": "LoadBalancer", "Value": target.load_balancer},
        {"Name": "TargetGroup", "Value": target.target_group},
    ]
    aws("cloudwatch").put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": "RequestCount",
                "Value": requests,
                "Timestamp": minute + timedelta(minutes=offset, seconds=30),
                "Dimensions": dimensions,
            }
            for offset, requests in ((0, 100), (1, 200), (2, 400))
        ],
    )
    for second in (1, 29, 59):
        first = minute + timedelta(minutes=2, seconds=second)
        # each look an interval and a bit after the last
        looks = iter(first + look * timedelta(minutes=1, seconds=0.4) for look in range(3))
        metrics = CloudWatchMetrics(aws("cloudwatch"), {"g/shop/m": target}, clock=looks.__next__)
        seen = [metrics.counts("g", "shop", "m", timedelta(minutes=1)).requests for _ in range(3)]
        assert seen == [100, 200, 400], f"looks at :{second:02d} read {seen}"
    wide = CloudWatchMetrics(
        aws("cloudwatch"), {"g/shop/m": target}, clock=lambda: minute + timedelta(minutes=4, seconds=5)
    )
    assert wide.counts("g", "shop", "m", timedelta(minutes=5)).requests == 700
    assert wide.counts("g", "shop", "m", timedelta(seconds=90)).requests == 400, "a part-minute was read"


def put(aws: Any, target: TargetGroupMetrics, points: list[tuple[str, float, datetime]]) -> None:
    """(metric, value, timestamp) data points of one target group."""
    dimensions = [
        {"Name": "LoadBalancer", "Value": target.load_balancer},
        {"Name": "TargetGroup", "Value": target.target_group},
    ]
    aws("cloudwatch").put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {"MetricName": metric, "Value": value, "Timestamp": at, "Dimensions": dimensions}
            for metric, value, at in points
        ],
    )


def test_baseline_reads_whole_periods_oldest_first(aws: Any) -> None:
    """Three 2-minute periods ending a minute ago (the delay): the first with two minutes of traffic,
    the second with none, the third with errors; what lies outside the span is not read."""
    target = TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/baseline/7")
    end = datetime.fromtimestamp((NOW.timestamp() - 60) // 120 * 120, UTC)
    start = end - timedelta(minutes=6)

    def at(minute: int) -> datetime:
        return start + timedelta(minutes=minute, seconds=30)

    put(
        aws,
        target,
        [
            ("RequestCount", 999, at(-1)),  # before the span
            ("RequestCount", 100, at(0)),
            ("RequestCount", 50, at(1)),
            ("TargetResponseTime", 0.1, at(0)),
            ("TargetResponseTime", 0.3, at(1)),
            ("RequestCount", 200, at(4)),
            ("HTTPCode_Target_5XX_Count", 4, at(5)),
            ("TargetResponseTime", 0.2, at(5)),
            ("RequestCount", 999, at(6)),  # after it
        ],
    )
    metrics = CloudWatchMetrics(
        aws("cloudwatch"), {"blue/shop/b": target}, latency_stat="Maximum", clock=lambda: NOW
    )
    baseline = metrics.baseline("blue", "shop", "b", timedelta(seconds=90), periods=3, limit_ms=500)
    assert baseline.period_seconds == 120, "a period is rounded up to whole minutes"
    assert [(p.requests, p.errors, p.latency_samples) for p in baseline.periods] == [
        (150, 0, 2),
        (0, 0, 0),
        (200, 4, 1),
    ]
    assert [p.p99_ms for p in baseline.periods] == [pytest.approx(300.0), None, pytest.approx(200.0)]
    assert baseline.compare_ms == pytest.approx(300.0), "latency_stat over the whole span"
    assert all(p.slow is None and p.slow_over_limit is None for p in baseline.periods), "moto has no ranks"


def test_baseline_of_a_quiet_target_is_zero_periods_and_no_compare(aws: Any) -> None:
    target = TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/silent/8")
    metrics = CloudWatchMetrics(aws("cloudwatch"), {"blue/shop/s": target}, clock=lambda: NOW)
    baseline = metrics.baseline("blue", "shop", "s", timedelta(minutes=1), periods=60, limit_ms=500)
    # no p99 to count against (slow: None); none of no samples is over the limit
    assert baseline.periods == (Side(0, 0, slow=None, slow_over_limit=0),) * 60
    assert (baseline.period_seconds, baseline.compare_ms) == (60, None)


def test_latency_counts_need_percentiles_which_moto_lacks(aws: Any) -> None:
    """moto answers percentile statistics with an error, so with latency_stat Maximum (as the demo
    reads it) no ranks are asked: the slow counts are None, never a guess; the counts stay right."""
    target = TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/ranks/9")
    publish(aws, target, requests=400, errors=6, latencies=[0.2, 0.25, 0.3])
    later = NOW + timedelta(minutes=2)
    thresholds = LatencyThresholds(compare_ms=120.0, limit_ms=500.0)
    maximum = CloudWatchMetrics(
        aws("cloudwatch"), {"g/shop/r": target}, latency_stat="Maximum", clock=lambda: later
    )
    counted = maximum.counts("g", "shop", "r", timedelta(minutes=5), thresholds)
    assert (counted.requests, counted.errors, counted.latency_samples) == (400, 6, 3)
    assert (counted.slow, counted.slow_over_limit) == (None, None)


def test_ranks_are_asked_with_a_percentile_and_no_samples_are_none_slow(aws: Any) -> None:
    """With p99 the PR(:T) queries go out in the same call (moto can answer them while there are no
    response times to rank): no samples, none slow."""
    target = TargetGroupMetrics(load_balancer="app/shop/1", target_group="targetgroup/ranked/10")
    put(aws, target, [("RequestCount", 70, NOW - timedelta(seconds=30))])
    metrics = CloudWatchMetrics(
        aws("cloudwatch"), {"g/shop/p": target}, clock=lambda: NOW + timedelta(minutes=2)
    )
    counted = metrics.counts("g", "shop", "p", timedelta(minutes=5), LatencyThresholds(None, 500.0))
    assert (counted.requests, counted.latency_samples, counted.p99_ms) == (70, 0, None)
    assert (counted.slow, counted.slow_over_limit) == (None, 0), "no blue p99 asked: no slow count"


def test_percentile_ranks_become_counts() -> None:
    """PR(:T) is the % of samples at most T seconds: the rest, rounded once over the periods, are slower."""
    first, second, third = (NOW + timedelta(minutes=m) for m in range(3))
    assert percentile_rank(150.0) == "PR(:0.15)"
    assert percentile_rank(1234.5678) == "PR(:1.234568)"
    samples = {first: 1000.0, second: 500.0, third: 0.0}
    assert slower_than(samples, {first: 99.5, second: 98.0}) == 15, "5 + 10; the empty period has no rank"
    assert slower_than(samples, {first: 99.95, second: 99.9}) == 1, "0.5 + 0.5 rounded once, not twice to 0"
    assert slower_than(samples, {first: 100.0, second: 0.0}) == 500
    assert slower_than(samples, {first: 99.0}) is None, "a period with samples but no rank: no guess"
    assert slower_than({}, {}) == 0
