"""TrafficRouter over an AWS Application Load Balancer: weighted forward between two target groups;
UatRouter through a listener rule of its own (cutover.platform.aws.alb_uat)."""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from cutover.models import WeightChange
from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.aws.alb_uat import AlbUatRules
from cutover.platform.aws.config import AlbRoute
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.interfaces import raise_first_failure

# Changes set_green_percents sets at once. ELBv2 throttles each account per region with token buckets
# (Describe*: 40 tokens, refilled at 10/s; mutating calls such as ModifyRule and ModifyListener draw on
# buckets of their own). A change is two Describe calls and one Modify: 8 in flight keep a burst well
# inside the Describe bucket, and inside botocore's pool of 10 connections a client. The clients'
# standard retry mode (cutover.platform.wiring.AWS_RETRIES: 3 attempts, backoff with jitter) absorbs
# an occasional ThrottlingException; a change still throttled then fails as transient.
ALB_PARALLELISM = 8


class AlbRouter:
    def __init__(self, elbv2: Any, routes: dict[str, AlbRoute]):
        self.elbv2 = elbv2
        self.routes = routes
        self.uat = AlbUatRules(elbv2)

    def _route(self, namespace: str, service: str) -> AlbRoute:
        key = f"{namespace}/{service}"
        if key not in self.routes:
            raise PermanentError(f"no ALB route configured for {key}")
        return self.routes[key]

    def set_green_percent(self, change: WeightChange) -> None:
        """Set the weights, then read them back: a split that did not take is an error."""
        route = self._route(change.namespace, change.service)
        if change.green_percent > 0:
            self.require_healthy_green(route)
        actions = [_forward(route, change.green_percent)]
        resource = route.rule_arn or route.listener_arn
        try:
            if route.rule_arn:
                self.elbv2.modify_rule(RuleArn=route.rule_arn, Actions=actions)
            else:
                self.elbv2.modify_listener(ListenerArn=route.listener_arn, DefaultActions=actions)
        except ClientError as error:
            raise translate(error, "set ALB weights", resource) from error
        actual = self.green_percent(change.namespace, change.service)
        if actual != change.green_percent:
            raise TransientError(
                f"{resource}: green weight reads back as {actual}%, expected {change.green_percent}%"
            )

    def set_green_percents(self, changes: Sequence[WeightChange]) -> None:
        """Each change as set_green_percent sets it, ALB_PARALLELISM at once (a boto3 client is
        thread-safe); the first failure is raised once every change was tried."""
        with ThreadPoolExecutor(max_workers=ALB_PARALLELISM) as pool:
            outcomes = list(pool.map(self._attempt, changes))
        raise_first_failure(changes, {i: error for i, error in enumerate(outcomes) if error is not None})

    def _attempt(self, change: WeightChange) -> Exception | None:
        """The change's failure as a value, so one failure stops no other change."""
        try:
            self.set_green_percent(change)
        except Exception as error:
            return error
        return None

    def green_percent(self, namespace: str, service: str) -> int:
        route = self._route(namespace, service)
        weights = self._weights(route)
        total = sum(weights.values())
        if total == 0:
            return 0
        return round(100 * weights.get(route.green_target_group_arn, 0) / total)

    def open_uat_route(self, route: UatRoute) -> None:
        """A rule ahead of the service's split forwards the testers to green; the weights stay."""
        self.uat.open(self._route(route.namespace, route.service), route)

    def close_uat_route(self, namespace: str, service: str) -> None:
        self.uat.close(self._route(namespace, service), f"{namespace}/{service}")

    def uat_route(self, namespace: str, service: str) -> UatMatch | None:
        return self.uat.match(self._route(namespace, service), f"{namespace}/{service}")

    def require_healthy_green(self, route: AlbRoute) -> None:
        """Moving traffic to a target group with no healthy target would drop requests."""
        try:
            health = self.elbv2.describe_target_health(TargetGroupArn=route.green_target_group_arn)
        except ClientError as error:
            raise translate(error, "describe target health", route.green_target_group_arn) from error
        states = [d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]]
        if "healthy" not in states:
            raise TransientError(
                f"green target group {route.green_target_group_arn} has no healthy target: {states or 'none'}"
            )

    def _weights(self, route: AlbRoute) -> dict[str, int]:
        try:
            if route.rule_arn:
                rules = self.elbv2.describe_rules(RuleArns=[route.rule_arn])["Rules"]
                actions = rules[0]["Actions"]
            else:
                listeners = self.elbv2.describe_listeners(ListenerArns=[route.listener_arn])["Listeners"]
                actions = listeners[0]["DefaultActions"]
        except ClientError as error:
            raise translate(error, "read ALB weights", route.rule_arn or route.listener_arn) from error
        for action in actions:
            if action["Type"] == "forward":
                groups = action.get("ForwardConfig", {}).get("TargetGroups")
                if groups:
                    return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
                return {action["TargetGroupArn"]: 1}
        return {}


def _forward(route: AlbRoute, green_percent: int) -> dict[str, Any]:
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": route.blue_target_group_arn, "Weight": 100 - green_percent},
                {"TargetGroupArn": route.green_target_group_arn, "Weight": green_percent},
            ]
        },
    }
