"""Whole migrations whose traffic moves through the real ALB code on moto (time-skipping server)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from cutover.analysis.counts import Baseline, LatencyThresholds, Side
from cutover.demo.motoserver import REGION
from cutover.models import Control, Outcome, Phase
from cutover.platform.local import LocalEnvironment
from cutover.platform.wiring import PlatformConfigError, build_platform, load_platform_config
from cutover.workflows.migration import MigrationWorkflow
from tests.aws.test_alb_router import build_alb
from tests.workflows.helpers import Harness, make_plan, migration

SERVICES = ("checkout", "catalog")


def platform_file(tmp_path: Path, aws: Any, endpoint: str) -> Path:
    routes = {f"shop/{s}": build_alb(aws).model_dump() for s in SERVICES}
    path = tmp_path / "platform.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "router": {"kind": "alb", "region": REGION, "endpoint_url": endpoint, "routes": routes},
            }
        )
    )
    return path


def alb_weights(router: Any) -> dict[str, int]:
    return {s: router.green_percent("shop", s) for s in SERVICES}


class TrafficByTheAlb:
    """The local environment's simulated traffic, split by the weights the ALB on moto has (the
    local environment's own routes are not what routes here)."""

    def __init__(self, local: LocalEnvironment, router: Any):
        self.local, self.router = local, router

    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        return self.local.sample(env, namespace, service)

    def counts(
        self,
        env: str,
        namespace: str,
        service: str,
        window: timedelta,
        latency: LatencyThresholds | None = None,
    ) -> Side:
        self._follow_the_alb(namespace, service)
        return self.local.counts(env, namespace, service, window, latency)

    def baseline(
        self, env: str, namespace: str, service: str, period: timedelta, periods: int, limit_ms: float
    ) -> Baseline:
        self._follow_the_alb(namespace, service)
        return self.local.baseline(env, namespace, service, period, periods, limit_ms)

    def _follow_the_alb(self, namespace: str, service: str) -> None:
        green = self.router.green_percent(namespace, service)
        self.local.update(lambda state: state["routes"].__setitem__(f"{namespace}/{service}", green))


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@asynccontextmanager
async def alb_migration(
    env: Any, tmp_path: Path, aws: Any, endpoint: str, **plan_fields: Any
) -> AsyncIterator[tuple[Harness, Any]]:
    """A migration (gate-less unless plan_fields say) whose router is the ALB code on moto; yields it
    and that router."""
    config = load_platform_config(platform_file(tmp_path, aws, endpoint))
    plan = make_plan(**({"gates": {"require": []}} | plan_fields))

    def platform(local: LocalEnvironment) -> tuple[Any, Any, Any]:
        cluster, router, _ = build_platform(config, local)
        return cluster, router, TrafficByTheAlb(local, router)

    async with migration(env, tmp_path, plan, platform=platform) as h:
        yield h, build_platform(config, h.local)[1]


@pytest.mark.usefixtures("aws_credentials")
async def test_migration_moves_alb_weights_to_green(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, aws: Any, moto_endpoint: str
) -> None:
    async with alb_migration(time_skipping_env, tmp_path, aws, moto_endpoint) as (h, router):
        await h.until(lambda s: s.phase == Phase.DONE)
        result = await h.handle.result()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert alb_weights(router) == {"checkout": 100, "catalog": 100}


@pytest.mark.usefixtures("aws_credentials")
async def test_abort_puts_alb_weights_back_on_blue(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, aws: Any, moto_endpoint: str
) -> None:
    async with alb_migration(time_skipping_env, tmp_path, aws, moto_endpoint) as (h, router):
        await h.until(lambda s: s.weights.get("catalog", 0) >= 25)
        assert alb_weights(router)["catalog"] >= 25
        await h.handle.signal(MigrationWorkflow.abort, Control(sender="alice", reason="test"))
        await h.until(lambda s: s.phase == Phase.DONE)
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert alb_weights(router) == {"checkout": 0, "catalog": 0}


@pytest.mark.usefixtures("aws_credentials")
async def test_the_uat_route_is_a_listener_rule_while_the_gate_is_open(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, aws: Any, moto_endpoint: str
) -> None:
    route = {"header": "X-Cutover", "value": "green"}
    fields = {"gates": {"require": ["uat"], "approvers": ["alice"]}, "uat": {"route": route}}
    async with alb_migration(time_skipping_env, tmp_path, aws, moto_endpoint, **fields) as (h, router):
        await h.at_gate("uat")
        opened = {s: router.uat_route("shop", s) for s in SERVICES}
        rules = aws("elbv2").describe_rules(ListenerArn=router.routes["shop/catalog"].listener_arn)
        await h.approve("uat")
        await h.until(lambda s: s.phase == Phase.DONE)
        closed = {s: router.uat_route("shop", s) for s in SERVICES}
        result = await h.handle.result()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert {s: m and m.model_dump(exclude_none=True) for s, m in opened.items()} == {
        s: route for s in SERVICES
    }
    [uat] = [r for r in rules["Rules"] if not r["IsDefault"]]
    assert uat["Conditions"][0]["HttpHeaderConfig"] == {"HttpHeaderName": "X-Cutover", "Values": ["green"]}
    green = router.routes["shop/catalog"].green_target_group_arn
    assert [(a["Type"], a["TargetGroupArn"]) for a in uat["Actions"]] == [("forward", green)]
    assert closed == {"checkout": None, "catalog": None}


def test_bad_platform_config_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump({"router": {"kind": "alb", "region": "eu-west-1", "routes": {"x": {}}}}))
    with pytest.raises(PlatformConfigError, match=r"router\.alb\.routes\.x\.listener_arn: Field required"):
        load_platform_config(path)
    with pytest.raises(PlatformConfigError, match="not found"):
        load_platform_config(tmp_path / "missing.yaml")


def test_default_is_local_for_every_role(tmp_path: Path) -> None:
    local = LocalEnvironment(tmp_path / "state.json")
    assert all(role is local for role in build_platform(load_platform_config(None), local))
