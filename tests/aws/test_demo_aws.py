"""The demo's AWS side against a real moto server: its ALB, its traffic publisher, its moto process."""

import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cutover.demo.aws import DemoAws, create_alb, exposed_services, write_platform_config
from cutover.demo.local_servers import port_open
from cutover.demo.motoserver import moto_environment, start_moto_server
from cutover.demo.run import demo_plan
from cutover.demo.seed import BLUE, GREEN, demo_state, seed
from cutover.demo.traffic import DEMO_ERRORS, REQUESTS_PER_SECOND, TICK_OFFSET, TrafficPublisher
from cutover.models import WeightChange
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.cloudwatch import CloudWatchMetrics
from cutover.platform.local import LocalEnvironment
from cutover.platform.wiring import build_platform, load_platform_config


def demo_alb(aws: Any) -> DemoAws:
    """The demo's ALB, under a fresh name: tests share one moto server."""
    return create_alb(aws, exposed_services(demo_state(), BLUE), BLUE, GREEN, name=uuid.uuid4().hex[:6])


def move(router: AlbRouter, service: str, green: int) -> None:
    change = WeightChange(
        service=service, namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=green
    )
    router.set_green_percent(change)


def test_each_exposed_service_starts_all_on_blue_with_healthy_targets(aws: Any) -> None:
    demo = demo_alb(aws)
    assert sorted(demo.routes) == ["shop/catalog", "shop/checkout"]
    router = AlbRouter(aws("elbv2"), demo.routes)
    for key, route in demo.routes.items():
        assert route.rule_arn, "each service has its own listener rule"
        assert router.green_percent(*key.split("/")) == 0
        for group in (route.blue_target_group_arn, route.green_target_group_arn):
            health = aws("elbv2").describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
            assert [h["TargetHealth"]["State"] for h in health] == ["healthy", "healthy"]
    assert set(demo.targets) == {f"{env}/{key}" for env in (BLUE, GREEN) for key in demo.routes}


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """build_platform makes its clients from the environment, as the worker does."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.mark.usefixtures("aws_credentials")
@pytest.mark.parametrize("failing_from", [None, 25])
def test_a_look_after_a_weight_change_counts_its_window_s_ticks_at_the_new_weight(
    aws: Any, moto_endpoint: str, tmp_path: Path, failing_from: int | None
) -> None:
    """Ticks as the demo takes them, TICK_OFFSET into each second: two at 2%, the change to 25%,
    three at 25%; the worker's look one interval after the change holds exactly two, both at 25%."""
    failures: dict[str, object] = {} if failing_from is None else {"green_error_from_weight": failing_from}
    local = seed(tmp_path / "local-env.json", failures)
    demo = demo_alb(aws)
    router = AlbRouter(aws("elbv2"), demo.routes)
    publisher = TrafficPublisher(router, aws("cloudwatch"), demo.targets, local, print, random.Random(3))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
    move(router, "checkout", 2)
    for second in (0, 1):
        publisher.publish(start + timedelta(seconds=second + TICK_OFFSET))
    changed = start + timedelta(seconds=2.2)
    move(router, "checkout", 25)
    for second in (2, 3, 4):
        publisher.publish(start + timedelta(seconds=second + TICK_OFFSET))
    interval = demo_plan().analysis.interval
    metrics = worker_metrics(tmp_path, demo, moto_endpoint)
    metrics.clock = lambda: changed + interval + timedelta(milliseconds=100)

    green, blue = (metrics.counts(env, "shop", "checkout", interval) for env in (GREEN, BLUE))
    assert green.latency_samples == blue.latency_samples == 2, "a 2 s look holds two ticks"
    per_look = REQUESTS_PER_SECOND * interval.total_seconds()
    for side, share in ((green, 0.25), (blue, 0.75)):
        assert abs(side.requests - per_look * share) < 5 * math.sqrt(per_look * share), "not all at 25%"
    green_rate = DEMO_ERRORS.base_rate if failing_from is None else DEMO_ERRORS.failing_rate
    for side, rate in ((green, green_rate), (blue, DEMO_ERRORS.base_rate)):
        assert abs(side.errors / side.requests - rate) < 5 * math.sqrt(rate / side.requests)
    assert green.p99_ms is not None and 100 < green.p99_ms < 150
    assert metrics.sample(GREEN, "shop", "catalog") == (0.0, 0.0), "catalog's green had no traffic"


def worker_metrics(tmp_path: Path, demo: DemoAws, endpoint: str) -> CloudWatchMetrics:
    """The MetricsSource the demo's worker builds from the platform config the demo writes."""
    config = tmp_path / "platform.yaml"
    write_platform_config(config, demo, endpoint)
    metrics = build_platform(load_platform_config(config), LocalEnvironment(tmp_path / "unused.json"))[2]
    assert isinstance(metrics, CloudWatchMetrics)
    return metrics


def test_moto_server_answers_and_stops() -> None:
    moto = start_moto_server()
    try:
        # moto keeps its state per process: this server sees what the session's server holds
        assert isinstance(moto.client("elbv2").describe_load_balancers()["LoadBalancers"], list)
    finally:
        moto.stop()
    port = int(moto.endpoint.rsplit(":", 1)[1])
    assert not port_open(port)


def test_processes_given_moto_get_dummy_credentials_only() -> None:
    env = moto_environment(
        {"AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "t", "AWS_ACCESS_KEY_ID": "AKIA", "PATH": "/bin"}
    )
    assert env == {"PATH": "/bin", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
