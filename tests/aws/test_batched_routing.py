"""set_green_percents against moto over HTTP: one call routes many services, and a failure stops no other.

Route 53's ChangeBatches are counted by a thin proxy around a real client on the moto server (boto3
itself is never patched).
"""

import uuid
from typing import Any

import pytest

from cutover.models import WeightChange
from cutover.platform.aws import route53
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.config import AlbRoute, WeightedRecord
from cutover.platform.aws.route53 import Route53Router
from cutover.platform.errors import PermanentError, TransientError
from tests.aws.test_alb_router import build_alb

SERVICES = [f"svc{i:02d}" for i in range(30)]


def change(service: str, green: int) -> WeightChange:
    return WeightChange(
        service=service, namespace="shop", blue_env="eks", green_env="fargate", green_percent=green
    )


# --- Route 53 ----------------------------------------------------------------------------------


class CountingRoute53:
    """moto's Route 53, noting the zone of every ChangeBatch sent, and counting the listings read."""

    def __init__(self, real: Any):
        self.real = real
        self.batches: list[str] = []
        self.listings = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def list_resource_record_sets(self, **request: Any) -> Any:
        self.listings += 1
        return self.real.list_resource_record_sets(**request)

    def change_resource_record_sets(self, HostedZoneId: str, ChangeBatch: dict[str, Any]) -> Any:  # noqa: N803 - boto3's parameter names
        self.batches.append(HostedZoneId)
        return self.real.change_resource_record_sets(HostedZoneId=HostedZoneId, ChangeBatch=ChangeBatch)


class LosingRoute53(CountingRoute53):
    """moto's Route 53, except that the UPSERTs of one record never arrive."""

    def __init__(self, real: Any, lost: str):
        super().__init__(real)
        self.lost = lost

    def change_resource_record_sets(self, HostedZoneId: str, ChangeBatch: dict[str, Any]) -> Any:  # noqa: N803 - boto3's parameter names
        kept = [c for c in ChangeBatch["Changes"] if c["ResourceRecordSet"]["Name"] != self.lost]
        return super().change_resource_record_sets(HostedZoneId, {**ChangeBatch, "Changes": kept})


def zone(aws: Any, domain: str) -> str:
    created = aws("route53").create_hosted_zone(Name=f"{domain}.", CallerReference=uuid.uuid4().hex)
    return str(created["HostedZone"]["Id"]).split("/")[-1]


def records(zone_id: str, domain: str, services: list[str]) -> dict[str, WeightedRecord]:
    return {
        f"shop/{s}": WeightedRecord(
            zone_id=zone_id,
            name=f"{s}.{domain}",
            blue_value=f"blue-{s}.example",
            green_value=f"green-{s}.example",
        )
        for s in services
    }


def weights(router: Route53Router, services: list[str]) -> dict[str, int]:
    return {s: router.green_percent("shop", s) for s in services}


def zone_weights(aws: Any, zone_id: str) -> dict[tuple[str, str], int]:
    """Every weighted record set's weight in the zone, from one paginated listing of it."""
    pages = aws("route53").get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    sets = [s for page in pages for s in page["ResourceRecordSets"] if "SetIdentifier" in s]
    return {(s["Name"], s["SetIdentifier"]): s["Weight"] for s in sets}


def test_thirty_services_in_one_zone_take_one_change_batch(aws: Any) -> None:
    zone_id = zone(aws, "shop.example")
    client = CountingRoute53(aws("route53"))
    router = Route53Router(client, records(zone_id, "shop.example", SERVICES))
    router.set_green_percents([change(s, 25) for s in SERVICES])
    assert client.batches == [zone_id]
    assert client.listings == 1, "one page holds every record read back"
    assert weights(router, SERVICES) == dict.fromkeys(SERVICES, 25)


def test_the_read_back_lists_a_page_at_a_time(aws: Any) -> None:
    """Route 53 lists at most 300 record sets a call: 200 services' 400 take two."""
    services = [f"svc{i:03d}" for i in range(200)]
    zone_id = zone(aws, "shop.example")
    client = CountingRoute53(aws("route53"))
    router = Route53Router(client, records(zone_id, "shop.example", services))
    router.set_green_percents([change(s, 75) for s in services])
    assert client.batches == [zone_id]
    assert client.listings == 2
    assert zone_weights(aws, zone_id) == {
        (f"{s}.shop.example.", env): weight for s in services for env, weight in (("blue", 25), ("green", 75))
    }


def test_one_change_batch_per_zone(aws: Any) -> None:
    shop, billing = zone(aws, "shop.example"), zone(aws, "billing.example")
    in_shop, in_billing = SERVICES[:10], SERVICES[10:20]
    client = CountingRoute53(aws("route53"))
    router = Route53Router(
        client, records(shop, "shop.example", in_shop) | records(billing, "billing.example", in_billing)
    )
    interleaved = [s for pair in zip(in_shop, in_billing, strict=True) for s in pair]
    router.set_green_percents([change(s, 50) for s in interleaved])
    assert sorted(client.batches) == sorted([shop, billing])
    assert weights(router, interleaved) == dict.fromkeys(interleaved, 50)


def test_a_zone_beyond_one_change_batch_is_split(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(route53, "ROUTE53_BATCH", 20)  # record sets: 10 changes a ChangeBatch
    zone_id = zone(aws, "shop.example")
    client = CountingRoute53(aws("route53"))
    router = Route53Router(client, records(zone_id, "shop.example", SERVICES))
    router.set_green_percents([change(s, 10) for s in SERVICES])
    assert client.batches == [zone_id] * 3
    assert weights(router, SERVICES) == dict.fromkeys(SERVICES, 10)


def test_an_unknown_service_is_permanent_named_and_stops_no_other(aws: Any) -> None:
    zone_id = zone(aws, "shop.example")
    router = Route53Router(aws("route53"), records(zone_id, "shop.example", SERVICES))
    batch = (
        [change(s, 25) for s in SERVICES[:15]]
        + [change("ghost", 25)]
        + [change(s, 25) for s in SERVICES[15:]]
    )
    with pytest.raises(PermanentError) as caught:
        router.set_green_percents(batch)
    assert str(caught.value) == (
        "1 of 31 services failed (shop/ghost); the first: no Route 53 record configured for shop/ghost"
    )
    assert weights(router, SERVICES) == dict.fromkeys(SERVICES, 25)


def test_a_missing_zone_fails_its_services_only_and_names_them(aws: Any) -> None:
    shop = zone(aws, "shop.example")
    gone = SERVICES[10:18]
    router = Route53Router(
        aws("route53"),
        records(shop, "shop.example", SERVICES[:10]) | records("ZNOSUCHZONE", "gone.example", gone),
    )
    with pytest.raises(PermanentError) as caught:
        router.set_green_percents([change(s, 25) for s in SERVICES[:18]])
    assert caught.value.kind == "aws.NoSuchHostedZone"
    assert str(caught.value).startswith(
        "8 of 18 services failed (shop/svc10, shop/svc11, shop/svc12, shop/svc13, shop/svc14 and 3 more); "
        "the first: UPSERT weighted records on ZNOSUCHZONE (8 records) failed: NoSuchHostedZone"
    )
    assert weights(router, SERVICES[:10]) == dict.fromkeys(SERVICES[:10], 25)


def test_a_weight_that_did_not_take_is_transient_and_named(aws: Any) -> None:
    zone_id = zone(aws, "shop.example")
    client = LosingRoute53(aws("route53"), lost="svc03.shop.example")
    router = Route53Router(client, records(zone_id, "shop.example", SERVICES))
    with pytest.raises(TransientError) as caught:
        router.set_green_percents([change(s, 25) for s in SERVICES])
    assert str(caught.value) == (
        "1 of 30 services failed (shop/svc03); "
        "the first: svc03.shop.example: green weight reads back as 0%, expected 25%"
    )
    assert client.batches == [zone_id]
    others = [s for s in SERVICES if s != "svc03"]
    assert weights(router, others) == dict.fromkeys(others, 25)


# --- ALB ---------------------------------------------------------------------------------------


def build_rules(aws: Any, route: AlbRoute, count: int) -> list[AlbRoute]:
    """`count` rules on route's listener, each forwarding to a blue group of its own, beside a green
    one with a healthy target."""
    elbv2 = aws("elbv2")
    groups = elbv2.describe_target_groups(TargetGroupArns=[route.blue_target_group_arn])["TargetGroups"]
    vpc, name = groups[0]["VpcId"], uuid.uuid4().hex[:8]
    rules = []
    for i in range(count):
        blue, green = (
            elbv2.create_target_group(
                Name=f"{env}{i}-{name}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
            )["TargetGroups"][0]["TargetGroupArn"]
            for env in ("blue", "green")
        )
        elbv2.register_targets(TargetGroupArn=green, Targets=[{"Id": "10.0.1.10", "Port": 80}])
        rule = elbv2.create_rule(
            ListenerArn=route.listener_arn,
            Priority=i + 1,
            Conditions=[{"Field": "path-pattern", "Values": [f"/svc{i}/*"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": blue}],
        )["Rules"][0]["RuleArn"]
        rules.append(
            AlbRoute(
                listener_arn=route.listener_arn,
                rule_arn=rule,
                blue_target_group_arn=blue,
                green_target_group_arn=green,
            )
        )
    return rules


def alb_routes(aws: Any, services: list[str]) -> dict[str, AlbRoute]:
    """The first service on a listener's default action, every other on a rule of that listener."""
    listener = build_alb(aws)
    routes = [listener, *build_rules(aws, listener, len(services) - 1)]
    return {f"shop/{s}": route for s, route in zip(services, routes, strict=True)}


def test_twenty_listeners_and_rules_set_in_one_call(aws: Any) -> None:
    services = SERVICES[:20]
    router = AlbRouter(aws("elbv2"), alb_routes(aws, services))
    for weight in (25, 0):
        router.set_green_percents([change(s, weight) for s in services])
        assert {s: router.green_percent("shop", s) for s in services} == dict.fromkeys(services, weight)


def test_an_unconfigured_service_is_named_and_stops_no_other(aws: Any) -> None:
    services = SERVICES[:20]
    router = AlbRouter(aws("elbv2"), alb_routes(aws, services))
    batch = (
        [change(s, 25) for s in services[:5]] + [change("ghost", 25)] + [change(s, 25) for s in services[5:]]
    )
    with pytest.raises(PermanentError) as caught:
        router.set_green_percents(batch)
    assert str(caught.value) == (
        "1 of 21 services failed (shop/ghost); the first: no ALB route configured for shop/ghost"
    )
    assert {s: router.green_percent("shop", s) for s in services} == dict.fromkeys(services, 25)
