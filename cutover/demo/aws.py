"""The demo's AWS side in moto: one ALB splitting each exposed service between blue and green.

It also writes the worker's platform config, so the worker builds the production AlbRouter and
CloudWatchMetrics from the same file a real deployment would use.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cutover.demo.motoserver import REGION
from cutover.platform.aws.config import AlbRoute, TargetGroupMetrics
from cutover.platform.local import State

# The demo plan's analysis.interval (sample(), for migrations started before 0.4, reads it too).
# A look counts the whole PERIODs of its window that ended DELAY before it. The publisher puts one
# tick per whole second, stored before that second ends, so no delay is needed: a look holds
# exactly two ticks, those of the two whole seconds before it.
METRICS_WINDOW = "2s"
PERIOD = "1s"
DELAY = "0s"
# moto's GetMetricData has no percentile statistics; the publisher's points are per-second p99s.
LATENCY_STAT = "Maximum"
TARGETS_PER_GROUP = 2
RULE_SPACING = 10  # listener rule priorities 10, 20, ...: a UAT rule goes just ahead of its service's


@dataclass
class DemoAws:
    """Where each service's traffic is split (ALB) and measured (CloudWatch dimensions)."""

    routes: dict[str, AlbRoute]
    targets: dict[str, TargetGroupMetrics]


def exposed_services(state: State, env: str) -> list[tuple[str, str]]:
    """(namespace, name) of every workload in `env` that takes traffic."""
    found = []
    for key, item in sorted(state["clusters"][env].items()):
        namespace, _kind, name = key.split("/")
        if item.get("exposed"):
            found.append((namespace, name))
    return found


def _dimension(arn: str) -> str:
    """CloudWatch names an ALB `app/<name>/<id>` and a target group `targetgroup/<name>/<id>`."""
    return arn.split(":")[-1].removeprefix("loadbalancer/")


def create_alb(
    client: Callable[[str], Any], services: list[tuple[str, str]], blue: str, green: str, name: str = "demo"
) -> DemoAws:
    """A VPC, an ALB and per service a path rule forwarding 100/0 to blue/green target groups.

    `name` prefixes the ALB and target group names, which must be unique in the (moto) account.
    """
    ec2, elbv2 = client("ec2"), client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    lb_arn = elbv2.create_load_balancer(Name=f"cutover-{name}", Subnets=subnets)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    load_balancer = _dimension(lb_arn)
    routes: dict[str, AlbRoute] = {}
    targets: dict[str, TargetGroupMetrics] = {}
    for number, (namespace, service) in enumerate(services, start=1):
        priority = RULE_SPACING * number  # room ahead of each rule for its UAT rule (uat.route)
        groups = {
            env: _target_group(elbv2, vpc, f"{name}-{service}-{env}", f"10.0.{subnet}.{10 * number}")
            for subnet, env in ((1, blue), (2, green))
        }
        rule = elbv2.create_rule(
            ListenerArn=listener,
            Priority=priority,
            Conditions=[
                {"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/{namespace}/{service}/*"]}}
            ],
            Actions=[_all_on_blue(groups[blue], groups[green])],
        )["Rules"][0]["RuleArn"]
        routes[f"{namespace}/{service}"] = AlbRoute(
            listener_arn=listener,
            rule_arn=rule,
            blue_target_group_arn=groups[blue],
            green_target_group_arn=groups[green],
        )
        for env, arn in groups.items():
            targets[f"{env}/{namespace}/{service}"] = TargetGroupMetrics(
                load_balancer=load_balancer, target_group=_dimension(arn)
            )
    return DemoAws(routes, targets)


def _target_group(elbv2: Any, vpc: str, name: str, first_ip: str) -> str:
    """A target group with registered IP targets, which moto reports healthy."""
    arn = str(
        elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
    )
    prefix, last = first_ip.rsplit(".", 1)
    addresses = [f"{prefix}.{int(last) + i}" for i in range(TARGETS_PER_GROUP)]
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": ip, "Port": 8080} for ip in addresses])
    return arn


def _all_on_blue(blue_group: str, green_group: str) -> dict[str, Any]:
    """The starting split: blue 100, green 0, as AlbRouter writes and reads it."""
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": blue_group, "Weight": 100},
                {"TargetGroupArn": green_group, "Weight": 0},
            ]
        },
    }


def write_platform_config(
    path: Path, aws: DemoAws, endpoint: str, notifications: dict[str, object] | None = None
) -> None:
    """Local cluster, ALB router and CloudWatch metrics, both pointed at the moto endpoint; where the
    notifications go."""
    config = {
        "cluster": {"kind": "local"},
        "router": {
            "kind": "alb",
            "region": REGION,
            "endpoint_url": endpoint,
            "routes": {key: route.model_dump() for key, route in aws.routes.items()},
        },
        "metrics": {
            "kind": "cloudwatch",
            "region": REGION,
            "endpoint_url": endpoint,
            "targets": {key: target.model_dump() for key, target in aws.targets.items()},
            "window": METRICS_WINDOW,
            "period": PERIOD,
            "delay": DELAY,
            "latency_stat": LATENCY_STAT,
        },
        "notifications": notifications or {},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
