"""UAT routes on an ALB against moto over HTTP: a tagged listener rule, read back from describe_rules."""

from datetime import timedelta
from typing import Any

import pytest

from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.alb_uat import TAG
from cutover.platform.aws.config import AlbRoute, WeightedRecord
from cutover.platform.aws.route53 import Route53Router
from cutover.platform.errors import PermanentError
from cutover.platform.interfaces import UatRouter, uat_routing_problem
from tests.aws.test_alb_router import build_alb, change

HEADER = UatMatch(header="X-Cutover", value="green")
COOKIE = UatMatch(cookie="cutover", value="green")


def uat(match: UatMatch, service: str = "checkout") -> UatRoute:
    return UatRoute(namespace="shop", service=service, match=match)


def rules(aws: Any, route: AlbRoute) -> list[dict[str, Any]]:
    """The listener's rules but its default, in priority order."""
    found = aws("elbv2").describe_rules(ListenerArn=route.listener_arn)["Rules"]
    return sorted((r for r in found if not r["IsDefault"]), key=lambda r: int(r["Priority"]))


def tags(aws: Any, rule: dict[str, Any]) -> dict[str, str]:
    described = aws("elbv2").describe_tags(ResourceArns=[rule["RuleArn"]])["TagDescriptions"][0]
    return {t["Key"]: t["Value"] for t in described["Tags"]}


def default_action(aws: Any, route: AlbRoute) -> list[dict[str, Any]]:
    listener = aws("elbv2").describe_listeners(ListenerArns=[route.listener_arn])["Listeners"][0]
    actions: list[dict[str, Any]] = listener["DefaultActions"]
    return actions


def test_open_sends_the_testers_to_green_and_leaves_the_weights(aws: Any) -> None:
    route = build_alb(aws)
    router = AlbRouter(aws("elbv2"), {"shop/checkout": route})
    router.set_green_percent(change(0))
    before = default_action(aws, route)
    assert isinstance(router, UatRouter) and uat_routing_problem(router) is None
    assert router.uat_route("shop", "checkout") is None

    router.open_uat_route(uat(HEADER))

    [rule] = rules(aws, route)
    assert rule["Priority"] == "1"
    assert rule["Conditions"] == [
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Cutover", "Values": ["green"]}}
    ]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": route.green_target_group_arn}]
    assert tags(aws, rule) == {TAG: "shop/checkout"}
    assert router.uat_route("shop", "checkout") == HEADER
    assert default_action(aws, route) == before  # the public: 100% blue, as it was
    assert router.green_percent("shop", "checkout") == 0


def test_opening_again_leaves_one_rule_the_latest_match(aws: Any) -> None:
    route = build_alb(aws)
    router = AlbRouter(aws("elbv2"), {"shop/checkout": route})
    router.open_uat_route(uat(HEADER))
    [first] = rules(aws, route)
    router.open_uat_route(uat(HEADER))
    assert rules(aws, route) == [first]

    router.open_uat_route(uat(COOKIE))
    [rule] = rules(aws, route)
    assert rule["RuleArn"] == first["RuleArn"]
    assert rule["Conditions"] == [
        {
            "Field": "http-header",
            "HttpHeaderConfig": {"HttpHeaderName": "Cookie", "Values": ["*cutover=green*"]},
        }
    ]
    assert router.uat_route("shop", "checkout") == COOKIE


def test_close_removes_the_rule_and_closing_again_is_fine(aws: Any) -> None:
    route = build_alb(aws)
    router = AlbRouter(aws("elbv2"), {"shop/checkout": route})
    router.close_uat_route("shop", "checkout")  # nothing open
    router.open_uat_route(uat(HEADER))
    router.close_uat_route("shop", "checkout")
    assert rules(aws, route) == []
    assert router.uat_route("shop", "checkout") is None
    router.close_uat_route("shop", "checkout")
    assert default_action(aws, route) == [{"Type": "forward", "TargetGroupArn": route.blue_target_group_arn}]


def test_services_on_one_listener_get_a_rule_each_at_free_priorities(aws: Any) -> None:
    route = build_alb(aws)
    elbv2 = aws("elbv2")
    elbv2.create_rule(  # someone else's rule holds priority 1
        ListenerArn=route.listener_arn,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/health"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )
    router = AlbRouter(elbv2, {"shop/checkout": route, "shop/cart": route})
    router.open_uat_route(uat(HEADER))
    router.open_uat_route(uat(COOKIE, service="cart"))
    assert [r["Priority"] for r in rules(aws, route)] == ["1", "2", "3"]
    assert router.uat_route("shop", "checkout") == HEADER
    assert router.uat_route("shop", "cart") == COOKIE
    router.close_uat_route("shop", "checkout")
    assert [r["Priority"] for r in rules(aws, route)] == ["1", "3"]
    assert router.uat_route("shop", "cart") == COOKIE


def service_rule(aws: Any, route: AlbRoute, priority: int) -> AlbRoute:
    """The service's split as a listener rule for its host, at `priority`."""
    rule = aws("elbv2").create_rule(
        ListenerArn=route.listener_arn,
        Priority=priority,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["shop.example"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": route.blue_target_group_arn}],
    )["Rules"][0]
    return route.model_copy(update={"rule_arn": rule["RuleArn"]})


def test_a_service_split_by_a_rule_gets_its_conditions_and_goes_ahead_of_it(aws: Any) -> None:
    route = service_rule(aws, build_alb(aws), priority=10)
    router = AlbRouter(aws("elbv2"), {"shop/checkout": route})
    router.set_green_percent(change(0))
    router.open_uat_route(uat(HEADER))
    uat_rule, split = rules(aws, route)
    assert (uat_rule["Priority"], split["RuleArn"]) == ("1", route.rule_arn)
    assert sorted(c["Field"] for c in uat_rule["Conditions"]) == ["host-header", "http-header"]
    assert {"Field": "host-header", "HostHeaderConfig": {"Values": ["shop.example"]}} in uat_rule[
        "Conditions"
    ]
    assert router.uat_route("shop", "checkout") == HEADER
    assert router.green_percent("shop", "checkout") == 0
    router.open_uat_route(uat(HEADER))
    assert len(rules(aws, route)) == 2


def test_no_free_priority_ahead_of_the_service_rule_is_permanent(aws: Any) -> None:
    route = service_rule(aws, build_alb(aws), priority=2)
    aws("elbv2").create_rule(
        ListenerArn=route.listener_arn,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/health"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )
    router = AlbRouter(aws("elbv2"), {"shop/checkout": route})
    with pytest.raises(PermanentError, match="no free priority under 2") as caught:
        router.open_uat_route(uat(HEADER))
    assert caught.value.kind == "aws.NoFreePriority"
    assert len(rules(aws, route)) == 2


def test_a_missing_listener_is_permanent_and_an_unconfigured_service_refused(aws: Any) -> None:
    route = build_alb(aws)
    gone = route.model_copy(update={"listener_arn": route.listener_arn + "-gone"})
    router = AlbRouter(aws("elbv2"), {"shop/checkout": gone})
    with pytest.raises(PermanentError) as caught:
        router.open_uat_route(uat(HEADER))
    assert caught.value.kind == "aws.ListenerNotFound" and gone.listener_arn in str(caught.value)
    with pytest.raises(PermanentError, match="no ALB route configured for shop/cart"):
        router.open_uat_route(uat(HEADER, service="cart"))


def test_route53_does_not_claim_uat_routes(aws: Any) -> None:
    record = WeightedRecord(zone_id="Z1", name="shop.example.", blue_value="blue.lb", green_value="green.lb")
    router = Route53Router(aws("route53"), {"shop/checkout": record}, timedelta(seconds=30))
    assert not isinstance(router, UatRouter)
    assert uat_routing_problem(router) == (
        "uat.route needs a router that matches headers or cookies (ALB, Gateway API HTTPRoute or the "
        "local environment); the Route53Router router cannot"
    )


def test_a_rule_a_raced_open_left_is_removed_and_a_rule_moved_behind_the_split_comes_back(aws: Any) -> None:
    route = service_rule(aws, build_alb(aws), priority=10)
    elbv2 = aws("elbv2")
    router = AlbRouter(elbv2, {"shop/checkout": route})
    router.open_uat_route(uat(HEADER))
    [first, _] = rules(aws, route)
    elbv2.create_rule(  # what a second, concurrent open would have added
        ListenerArn=route.listener_arn,
        Priority=5,
        Conditions=first["Conditions"],
        Actions=first["Actions"],
        Tags=[{"Key": TAG, "Value": "shop/checkout"}],
    )
    elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": first["RuleArn"], "Priority": 20}])
    router.open_uat_route(uat(HEADER))
    uat_rule, split = rules(aws, route)
    assert split["RuleArn"] == route.rule_arn
    assert int(uat_rule["Priority"]) < 10 and tags(aws, uat_rule) == {TAG: "shop/checkout"}
