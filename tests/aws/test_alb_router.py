"""AlbRouter against moto over HTTP: weights set and read back, health gate, error mapping."""

import uuid
from typing import Any

import pytest

from cutover.models import WeightChange
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.config import AlbRoute
from cutover.platform.errors import PermanentError, TransientError


def build_alb(aws: Any, healthy_green: bool = True) -> AlbRoute:
    """A VPC, an ALB with a listener forwarding to blue, and a green target group."""
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    name = uuid.uuid4().hex[:8]
    lb = elbv2.create_load_balancer(Name=f"lb-{name}", Subnets=subnets)["LoadBalancers"][0]
    groups = {
        env: elbv2.create_target_group(
            Name=f"{env}-{name}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        for env in ("blue", "green")
    }
    if healthy_green:
        elbv2.register_targets(TargetGroupArn=groups["green"], Targets=[{"Id": "10.0.1.10", "Port": 80}])
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": groups["blue"]}],
    )["Listeners"][0]["ListenerArn"]
    return AlbRoute(
        listener_arn=listener, blue_target_group_arn=groups["blue"], green_target_group_arn=groups["green"]
    )


def change(green: int) -> WeightChange:
    return WeightChange(
        service="checkout", namespace="shop", blue_env="eks", green_env="fargate", green_percent=green
    )


def test_weights_move_and_read_back_through_the_api(aws: Any) -> None:
    route = build_alb(aws)
    router = AlbRouter(aws("elbv2"), {"shop/checkout": route})
    assert router.green_percent("shop", "checkout") == 0
    for weight in (2, 25, 75, 100, 0):
        router.set_green_percent(change(weight))
        assert router.green_percent("shop", "checkout") == weight
    listener = aws("elbv2").describe_listeners(ListenerArns=[route.listener_arn])["Listeners"][0]
    groups = listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    assert {g["TargetGroupArn"]: g["Weight"] for g in groups} == {
        route.blue_target_group_arn: 100,
        route.green_target_group_arn: 0,
    }


def test_no_traffic_to_a_green_group_without_healthy_targets(aws: Any) -> None:
    route = build_alb(aws, healthy_green=False)
    router = AlbRouter(aws("elbv2"), {"shop/checkout": route})
    with pytest.raises(TransientError, match="has no healthy target"):
        router.set_green_percent(change(25))
    assert router.green_percent("shop", "checkout") == 0


def test_missing_listener_is_permanent_and_named(aws: Any) -> None:
    route = build_alb(aws)
    gone = route.model_copy(update={"listener_arn": route.listener_arn + "-gone"})
    router = AlbRouter(aws("elbv2"), {"shop/checkout": gone})
    with pytest.raises(PermanentError) as caught:
        router.set_green_percent(change(0))
    assert caught.value.kind == "aws.ListenerNotFound"
    assert gone.listener_arn in str(caught.value) and "NotFound" in str(caught.value)


def test_unconfigured_service_is_refused(aws: Any) -> None:
    router = AlbRouter(aws("elbv2"), {})
    with pytest.raises(PermanentError, match="no ALB route configured for shop/checkout"):
        router.green_percent("shop", "checkout")
