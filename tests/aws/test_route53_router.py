"""Route53Router against moto over HTTP: weighted UPSERTs, INSYNC wait, read-back, errors."""

import uuid
from typing import Any

import pytest

from cutover.models import WeightChange
from cutover.platform.aws.config import WeightedRecord
from cutover.platform.aws.route53 import Route53Router
from cutover.platform.errors import PermanentError, TransientError

ZONE = "shop.example"


def zone(aws: Any) -> str:
    created = aws("route53").create_hosted_zone(Name=f"{ZONE}.", CallerReference=uuid.uuid4().hex)
    return str(created["HostedZone"]["Id"]).split("/")[-1]


def record(zone_id: str) -> WeightedRecord:
    return WeightedRecord(
        zone_id=zone_id,
        name=f"checkout.{ZONE}",
        blue_value="blue-lb.example",
        green_value="green-lb.example",
    )


def change(green: int) -> WeightChange:
    return WeightChange(
        service="checkout", namespace="shop", blue_env="eks", green_env="fargate", green_percent=green
    )


def test_weights_upserted_and_read_back(aws: Any) -> None:
    zone_id = zone(aws)
    router = Route53Router(aws("route53"), {"shop/checkout": record(zone_id)})
    assert router.green_percent("shop", "checkout") == 0
    for weight in (2, 25, 100, 0):
        router.set_green_percent(change(weight))
        assert router.green_percent("shop", "checkout") == weight
    sets = aws("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    weighted = {
        s["SetIdentifier"]: (s["Weight"], s["ResourceRecords"][0]["Value"])
        for s in sets
        if "SetIdentifier" in s
    }
    assert weighted == {"blue": (100, "blue-lb.example"), "green": (0, "green-lb.example")}


def test_change_that_never_syncs_times_out(aws: Any) -> None:
    class Pending:
        """Route 53 that accepts the change but never reports INSYNC."""

        def __init__(self, real: Any):
            self.real = real

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def get_change(self, Id: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
            return {"ChangeInfo": {"Id": Id, "Status": "PENDING"}}

    slept: list[float] = []
    router = Route53Router(
        Pending(aws("route53")),
        {"shop/checkout": record(zone(aws))},
        insync_timeout=6,
        poll_interval=2,
        sleep=slept.append,
    )
    with pytest.raises(TransientError, match="not INSYNC after 6s"):
        router.set_green_percent(change(25))
    assert slept == [2, 2, 2]


def test_unknown_zone_is_permanent_and_named(aws: Any) -> None:
    router = Route53Router(aws("route53"), {"shop/checkout": record("ZNOSUCHZONE")})
    with pytest.raises(PermanentError) as caught:
        router.set_green_percent(change(25))
    assert caught.value.kind == "aws.NoSuchHostedZone"
    assert "ZNOSUCHZONE/checkout.shop.example" in str(caught.value)
