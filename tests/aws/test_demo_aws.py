"""The demo's AWS side against a real moto server: its ALB, its traffic publisher, its moto process."""

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
from cutover.demo.traffic import TrafficPublisher
from cutover.models import WeightChange
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.cloudwatch import NAMESPACE, CloudWatchMetrics
from cutover.platform.local import FAILING_ERROR_RATE, LocalEnvironment
from cutover.platform.wiring import build_platform, load_platform_config

MAX_ERROR_RATE = demo_plan().analysis.max_error_rate


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
def test_worker_metrics_see_the_green_error_rate_at_the_current_weight(
    aws: Any, moto_endpoint: str, tmp_path: Path, failing_from: int | None
) -> None:
    """Publisher ticks as in the demo: 2% up to just before the change to 25%, then 25% for one bake."""
    failures: dict[str, object] = {} if failing_from is None else {"green_error_from_weight": failing_from}
    local = seed(tmp_path / "local-env.json", failures)
    demo = demo_alb(aws)
    router = AlbRouter(aws("elbv2"), demo.routes)
    publisher = TrafficPublisher(router, aws("cloudwatch"), demo.targets, local, echo=print)
    # mid-second, so moto's whole-second truncation reaches back to the last 2% tick (0.2 s before)
    changed = datetime.now(UTC).replace(microsecond=500_000) - timedelta(seconds=10)
    move(router, "checkout", 2)
    for before in (1.2, 0.2):
        publisher.publish(changed - timedelta(seconds=before))
    move(router, "checkout", 25)
    for after in (0.8, 1.8, 2.8):
        publisher.publish(changed + timedelta(seconds=after))
    analysed = changed + demo_plan().traffic.bake + timedelta(milliseconds=50)
    metrics = worker_metrics(tmp_path, demo, moto_endpoint)
    metrics.clock = lambda: analysed

    green_error, green_latency = metrics.sample(GREEN, "shop", "checkout")
    blue_error, _ = metrics.sample(BLUE, "shop", "checkout")
    if failing_from is None:
        assert green_error < MAX_ERROR_RATE and blue_error < MAX_ERROR_RATE
    else:
        # exactly the failing rate: the window holds only 25% seconds, none of the healthy 2% ones
        assert green_error == pytest.approx(FAILING_ERROR_RATE) and green_error > MAX_ERROR_RATE
        assert blue_error < MAX_ERROR_RATE
    assert 100 < green_latency < 150
    assert metrics.sample(GREEN, "shop", "catalog") == (0.0, 0.0), "catalog's green had no traffic"
    after_change = (changed + timedelta(seconds=0.5), changed + timedelta(seconds=3.5))
    assert requests(aws, demo, *after_change) == {BLUE: 3 * 750, GREEN: 3 * 250}


def worker_metrics(tmp_path: Path, demo: DemoAws, endpoint: str) -> CloudWatchMetrics:
    """The MetricsSource the demo's worker builds from the platform config the demo writes."""
    config = tmp_path / "platform.yaml"
    write_platform_config(config, demo, endpoint)
    metrics = build_platform(load_platform_config(config), LocalEnvironment(tmp_path / "unused.json"))[2]
    assert isinstance(metrics, CloudWatchMetrics)
    return metrics


def requests(aws: Any, demo: DemoAws, start: datetime, end: datetime) -> dict[str, float]:
    """RequestCount per environment for checkout, straight from CloudWatch."""
    counts = {}
    for env in (BLUE, GREEN):
        target = demo.targets[f"{env}/shop/checkout"]
        stats = aws("cloudwatch").get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName="RequestCount",
            Dimensions=[
                {"Name": "LoadBalancer", "Value": target.load_balancer},
                {"Name": "TargetGroup", "Value": target.target_group},
            ],
            StartTime=start,
            EndTime=end,
            Period=60,
            Statistics=["Sum"],
        )
        counts[env] = sum(point["Sum"] for point in stats["Datapoints"])
    return counts


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
