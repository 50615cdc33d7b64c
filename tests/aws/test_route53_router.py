"""Route53Router against moto over HTTP: weighted UPSERTs, the bounded INSYNC wait, read-back, errors.

moto reports every change INSYNC at once (the UPSERT's answer, and GetChange for any id, even one it
never issued), so a change that stays PENDING comes from a fake status reader, on a fake clock: no
test here waits for real time or depends on the machine's speed.
"""

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from cutover.models import WeightChange
from cutover.platform.aws.config import (
    INSYNC_POLL_INTERVAL,
    INSYNC_TIMEOUT,
    INSYNC_TIMEOUT_LIMIT,
    WeightedRecord,
)
from cutover.platform.aws.route53 import Route53Router, wait_until_insync
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.wiring import PlatformConfigError, Route53Config, load_platform_config
from cutover.workflows.options import ACTIVITY_TIMEOUT

ZONE = "shop.example"
SECOND = timedelta(seconds=1)


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


class FakeTime:
    """A clock that moves only when the code under test sleeps (or a read says it took time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def statuses(
    time: FakeTime, answers: list[str], read_takes: float = 0.0
) -> tuple[Callable[[], str], list[float]]:
    """A change-status reader answering `answers` in turn (the last one forever); also when it read."""
    reads: list[float] = []

    def read() -> str:
        reads.append(time.now)
        time.now += read_takes
        return answers[min(len(reads), len(answers)) - 1]

    return read, reads


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


def test_moto_reports_every_change_insync_at_once(aws: Any) -> None:
    """Why the PENDING cases below use a fake reader: if moto ever answers PENDING, use it instead."""
    route53 = aws("route53")
    upsert = route53.change_resource_record_sets(
        HostedZoneId=zone(aws),
        ChangeBatch={"Changes": [_one_upsert()]},
    )["ChangeInfo"]
    assert upsert["Status"] == "INSYNC"
    assert route53.get_change(Id=upsert["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    assert route53.get_change(Id="CNEVERISSUED")["ChangeInfo"]["Status"] == "INSYNC"


def _one_upsert() -> dict[str, Any]:
    return {
        "Action": "UPSERT",
        "ResourceRecordSet": {
            "Name": f"checkout.{ZONE}",
            "Type": "CNAME",
            "SetIdentifier": "blue",
            "Weight": 100,
            "TTL": 60,
            "ResourceRecords": [{"Value": "blue-lb.example"}],
        },
    }


def test_wait_reads_until_insync_every_interval() -> None:
    time = FakeTime()
    read, reads = statuses(time, ["PENDING", "PENDING", "INSYNC"])
    assert wait_until_insync(read, INSYNC_TIMEOUT, 5 * SECOND, time.clock, time.sleep)
    assert reads == [0, 5, 10]
    assert time.slept == [5, 5]


def test_wait_insync_at_once_does_not_sleep() -> None:
    time = FakeTime()
    read, reads = statuses(time, ["INSYNC"])
    assert wait_until_insync(read, INSYNC_TIMEOUT, 5 * SECOND, time.clock, time.sleep)
    assert reads == [0] and time.slept == []


def test_wait_gives_up_at_the_deadline_without_sleeping_past_it() -> None:
    time = FakeTime()
    read, reads = statuses(time, ["PENDING"])
    assert not wait_until_insync(read, 12 * SECOND, 5 * SECOND, time.clock, time.sleep)
    assert time.slept == [5, 5, 2]
    assert reads == [0, 5, 10, 12]  # one last look at the deadline


def test_wait_counts_slow_reads_against_the_bound() -> None:
    """GetChange taking its time shortens the sleeps; the wait still ends one read after the deadline."""
    time = FakeTime()
    read, reads = statuses(time, ["PENDING"], read_takes=7)
    assert not wait_until_insync(read, 20 * SECOND, 5 * SECOND, time.clock, time.sleep)
    assert reads == [0, 12, 20]
    assert time.slept == [5, 1]
    assert time.now == 20 + 7


def test_change_still_pending_at_the_bound_is_transient_naming_change_and_record(aws: Any) -> None:
    """A real UPSERT on moto whose GetChange answers PENDING: the attempt fails as transient at the
    router's bound, and the retry UPSERTs the same weights again (an absolute state)."""
    asked: list[str] = []

    class PendingRoute53:
        """moto's Route 53, except that GetChange reports every change PENDING."""

        def __init__(self, real: Any):
            self.real = real

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def get_change(self, Id: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
            asked.append(Id)
            return {"ChangeInfo": {"Id": Id, "Status": "PENDING"}}

    zone_id = zone(aws)
    time = FakeTime()
    pending = Route53Router(
        PendingRoute53(aws("route53")), {"shop/checkout": record(zone_id)}, clock=time.clock, sleep=time.sleep
    )
    with pytest.raises(TransientError) as caught:
        pending.set_green_percent(change(25))
    change_id = asked[0]
    assert set(asked) == {change_id}
    assert str(caught.value) == (
        f"Route 53 change {change_id} for {zone_id}/checkout.{ZONE} not INSYNC within 1m"
    )
    assert time.now == INSYNC_TIMEOUT.total_seconds()
    assert max(time.slept) == INSYNC_POLL_INTERVAL.total_seconds()

    retry = Route53Router(aws("route53"), {"shop/checkout": record(zone_id)})
    retry.set_green_percent(change(25))
    assert retry.green_percent("shop", "checkout") == 25


def test_unknown_zone_is_permanent_and_named(aws: Any) -> None:
    router = Route53Router(aws("route53"), {"shop/checkout": record("ZNOSUCHZONE")})
    with pytest.raises(PermanentError) as caught:
        router.set_green_percent(change(25))
    assert caught.value.kind == "aws.NoSuchHostedZone"
    assert "ZNOSUCHZONE/checkout.shop.example" in str(caught.value)


def route53_config(tmp_path: Path, moto_endpoint: str, **router: object) -> Path:
    path = tmp_path / "platform.yaml"
    records = {"shop/checkout": record("Z1").model_dump()}
    path.write_text(
        yaml.safe_dump(
            {
                "router": {
                    "kind": "route53",
                    "region": "us-east-1",
                    "endpoint_url": moto_endpoint,
                    "records": records,
                    **router,
                }
            }
        )
    )
    return path


def test_insync_timeout_defaults_to_a_minute_and_reaches_the_router(
    tmp_path: Path, moto_endpoint: str
) -> None:
    default = load_platform_config(route53_config(tmp_path, moto_endpoint)).router
    assert isinstance(default, Route53Config) and default.insync_timeout == INSYNC_TIMEOUT == 60 * SECOND
    configured = load_platform_config(route53_config(tmp_path, moto_endpoint, insync_timeout="45s")).router
    assert isinstance(configured, Route53Config)
    assert configured.build().insync_timeout == 45 * SECOND


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        (
            "100s",
            "must be under 100s, so the wait ends inside the set_green_percent activity's timeout, got 100s",
        ),
        (
            "2m",
            "must be under 100s, so the wait ends inside the set_green_percent activity's timeout, got 120s",
        ),
        (
            "300s",
            "must be under 100s, so the wait ends inside the set_green_percent activity's timeout, got 300s",
        ),
        ("0s", "must be more than 0s, got 0s"),
    ],
)
def test_insync_timeout_outside_the_activity_is_refused_in_one_line(
    tmp_path: Path, moto_endpoint: str, written: str, problem: str
) -> None:
    path = route53_config(tmp_path, moto_endpoint, insync_timeout=written)
    with pytest.raises(PlatformConfigError) as caught:
        load_platform_config(path)
    assert str(caught.value) == f"{path}: router.route53.insync_timeout: {problem}"


def test_insync_wait_default_and_maximum_end_inside_the_activity_timeout() -> None:
    """set_green_percent runs with ACTIVITY_TIMEOUT as its start-to-close timeout: the longest wait the
    config accepts, plus room for the UPSERT, the last GetChange and the read-back, must fit in it."""
    calls_around_the_wait = 15 * SECOND
    largest = INSYNC_TIMEOUT_LIMIT - SECOND
    records: dict[str, Any] = {}
    accepted = Route53Config.model_validate(
        {"kind": "route53", "region": "us-east-1", "records": records, "insync_timeout": largest}
    )
    assert accepted.insync_timeout == largest
    with pytest.raises(ValueError, match="insync_timeout"):
        Route53Config.model_validate(
            {
                "kind": "route53",
                "region": "us-east-1",
                "records": records,
                "insync_timeout": INSYNC_TIMEOUT_LIMIT,
            }
        )
    assert Route53Config.model_fields["insync_timeout"].default == INSYNC_TIMEOUT
    for wait in (INSYNC_TIMEOUT, largest):
        assert wait + calls_around_the_wait <= ACTIVITY_TIMEOUT
    assert INSYNC_POLL_INTERVAL < INSYNC_TIMEOUT
