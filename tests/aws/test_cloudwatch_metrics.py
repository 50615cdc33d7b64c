"""CloudWatchMetrics against moto over HTTP: the figures analysis gets for blue and green."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from cutover.platform.aws_cloudwatch import NAMESPACE, CloudWatchMetrics, TargetGroupMetrics

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
    with pytest.raises(ApplicationError, match="no CloudWatch target group configured for green/shop/x"):
        CloudWatchMetrics(aws("cloudwatch"), TARGETS).sample("green", "shop", "x")
