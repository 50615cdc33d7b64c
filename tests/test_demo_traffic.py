"""The demo's traffic: noisy counts whose means are the stated rate and error rates, a tick a second."""

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cutover.demo.seed import BLUE, GREEN, seed
from cutover.demo.traffic import (
    DEMO_ERRORS,
    REQUESTS_PER_SECOND,
    TICK_OFFSET,
    TrafficPublisher,
    binomial,
    poisson,
    seconds_to_next_tick,
)
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.config import AlbRoute, TargetGroupMetrics

GREEN_PERCENT = 25
TICKS = 400
TARGETS = {
    f"{env}/shop/checkout": TargetGroupMetrics(
        load_balancer="app/demo/1", target_group=f"targetgroup/{env}/1"
    )
    for env in (BLUE, GREEN)
}


class FixedRouter(AlbRouter):
    """The ALB's weights without an ALB: checkout at GREEN_PERCENT green."""

    def __init__(self) -> None:
        route = AlbRoute(listener_arn="listener", blue_target_group_arn="b", green_target_group_arn="g")
        super().__init__(None, {"shop/checkout": route})

    def green_percent(self, namespace: str, service: str) -> int:
        return GREEN_PERCENT


class Recorder:
    """CloudWatch's PutMetricData, kept in memory."""

    def __init__(self) -> None:
        self.points: list[dict[str, Any]] = []

    def put_metric_data(self, Namespace: str, MetricData: list[dict[str, Any]]) -> None:
        self.points += MetricData


def publisher(tmp_path: Path, failures: dict[str, object]) -> tuple[TrafficPublisher, Recorder]:
    cloudwatch = Recorder()
    local = seed(tmp_path / "local.json", failures)
    return TrafficPublisher(FixedRouter(), cloudwatch, TARGETS, local, print, random.Random(42)), cloudwatch


def counts(points: list[dict[str, Any]], env: str, metric: str) -> list[float]:
    group = TARGETS[f"{env}/shop/checkout"].target_group
    return [
        p["Value"]
        for p in points
        if p["MetricName"] == metric and {"Name": "TargetGroup", "Value": group} in p["Dimensions"]
    ]


def within(observed: float, expected: float, standard_error: float) -> bool:
    return abs(observed - expected) < 4 * standard_error


@pytest.mark.parametrize("failing_from", [None, GREEN_PERCENT])
def test_ticks_are_noisy_around_the_stated_rates(tmp_path: Path, failing_from: int | None) -> None:
    failures: dict[str, object] = {} if failing_from is None else {"green_error_from_weight": failing_from}
    source, cloudwatch = publisher(tmp_path, failures)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for tick in range(TICKS):
        source.publish(start + timedelta(seconds=tick + TICK_OFFSET))
    green_rate = DEMO_ERRORS.base_rate if failing_from is None else 2 * DEMO_ERRORS.base_rate
    for env, share, error_rate in ((BLUE, 0.75, DEMO_ERRORS.base_rate), (GREEN, 0.25, green_rate)):
        requests = counts(cloudwatch.points, env, "RequestCount")
        errors = counts(cloudwatch.points, env, "HTTPCode_Target_5XX_Count")
        assert len(requests) == TICKS and requests[0] != requests[1], "no noise"
        mean = REQUESTS_PER_SECOND * share
        assert within(sum(requests) / TICKS, mean, math.sqrt(mean / TICKS)), env
        rate = sum(errors) / sum(requests)
        assert within(rate, error_rate, math.sqrt(error_rate * (1 - error_rate) / sum(requests))), env


def test_one_tick_per_whole_second(tmp_path: Path) -> None:
    source, cloudwatch = publisher(tmp_path, {})
    second = datetime(2026, 1, 1, 12, 0, 7, tzinfo=UTC)
    source.publish(second + timedelta(seconds=0.75))
    source.publish(second + timedelta(seconds=0.99))
    assert {p["Timestamp"] for p in cloudwatch.points} == {second}
    assert len(counts(cloudwatch.points, GREEN, "RequestCount")) == 1
    assert seconds_to_next_tick(100.5) == pytest.approx(TICK_OFFSET - 0.5)
    assert seconds_to_next_tick(100.8) == pytest.approx(1 + TICK_OFFSET - 0.8)


@pytest.mark.parametrize(
    ("draw", "mean", "variance"),
    [
        (lambda rng: poisson(rng, 4.0), 4.0, 4.0),
        (lambda rng: poisson(rng, 5000.0), 5000.0, 5000.0),
        (lambda rng: binomial(rng, 400, 0.01), 4.0, 3.96),
        (lambda rng: binomial(rng, 20_000, 0.01), 200.0, 198.0),
        (lambda rng: binomial(rng, 50, 0.9), 45.0, 4.5),
    ],
)
def test_counts_have_their_distribution_s_mean_and_variance(
    draw: Callable[[random.Random], int], mean: float, variance: float
) -> None:
    rng = random.Random(1)
    samples = [draw(rng) for _ in range(4000)]
    observed = sum(samples) / len(samples)
    spread = sum((s - observed) ** 2 for s in samples) / (len(samples) - 1)
    assert within(observed, mean, math.sqrt(variance / len(samples)))
    assert within(spread, variance, variance * math.sqrt(2 / len(samples)))
