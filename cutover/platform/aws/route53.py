"""TrafficRouter over Route 53 weighted records: one set identifier per environment."""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from cutover.durations import format_duration
from cutover.models import WeightChange
from cutover.platform.aws.config import INSYNC_POLL_INTERVAL, INSYNC_TIMEOUT, WeightedRecord
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError, TransientError


class Route53Router:
    """`insync_timeout` bounds the wait for INSYNC; the platform config keeps it inside the activity's
    timeout (see cutover.platform.aws.config). `clock` and `sleep` are there for tests."""

    def __init__(
        self,
        route53: Any,
        records: dict[str, WeightedRecord],
        insync_timeout: timedelta = INSYNC_TIMEOUT,
        poll_interval: timedelta = INSYNC_POLL_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.route53 = route53
        self.records = records
        self.insync_timeout = insync_timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep

    def _record(self, namespace: str, service: str) -> WeightedRecord:
        key = f"{namespace}/{service}"
        if key not in self.records:
            raise PermanentError(f"no Route 53 record configured for {key}")
        return self.records[key]

    def set_green_percent(self, change: WeightChange) -> None:
        """UPSERT both weighted records in one change, wait until INSYNC, then read back."""
        record = self._record(change.namespace, change.service)
        changes = [
            _upsert(record, record.blue_set_id, record.blue_value, 100 - change.green_percent),
            _upsert(record, record.green_set_id, record.green_value, change.green_percent),
        ]
        try:
            response = self.route53.change_resource_record_sets(
                HostedZoneId=record.zone_id,
                ChangeBatch={"Comment": f"cutover: {change.green_percent}% green", "Changes": changes},
            )
            self._wait_insync(response["ChangeInfo"]["Id"], record)
        except ClientError as error:
            raise translate(error, "UPSERT weighted records", f"{record.zone_id}/{record.name}") from error
        actual = self.green_percent(change.namespace, change.service)
        if actual != change.green_percent:
            raise TransientError(
                f"{record.name}: green weight reads back as {actual}%, expected {change.green_percent}%"
            )

    def _wait_insync(self, change_id: str, record: WeightedRecord) -> None:
        def status() -> str:
            return str(self.route53.get_change(Id=change_id)["ChangeInfo"]["Status"])

        if not wait_until_insync(status, self.insync_timeout, self.poll_interval, self.clock, self.sleep):
            raise TransientError(
                f"Route 53 change {change_id} for {record.zone_id}/{record.name} not INSYNC within "
                f"{format_duration(self.insync_timeout)}"
            )

    def green_percent(self, namespace: str, service: str) -> int:
        record = self._record(namespace, service)
        fqdn = record.name if record.name.endswith(".") else record.name + "."
        try:
            sets = self.route53.list_resource_record_sets(
                HostedZoneId=record.zone_id, StartRecordName=record.name, StartRecordType=record.type
            )["ResourceRecordSets"]
        except ClientError as error:
            raise translate(error, "list weighted records", f"{record.zone_id}/{record.name}") from error
        weights = {
            s["SetIdentifier"]: int(s["Weight"])
            for s in sets
            if s["Name"] == fqdn and s["Type"] == record.type and "SetIdentifier" in s
        }
        total = sum(weights.values())
        return round(100 * weights.get(record.green_set_id, 0) / total) if total else 0


def wait_until_insync(
    status: Callable[[], str],
    timeout: timedelta,
    interval: timedelta,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Read a change's status until it is INSYNC (True) or `timeout` has passed on `clock` (False).

    Reads at once, then every `interval`; never sleeps past the deadline, and reads once more at it.
    The time the reads take counts against `timeout`.
    """
    deadline = clock() + timeout.total_seconds()
    while True:
        if status() == "INSYNC":
            return True
        left = deadline - clock()
        if left <= 0:
            return False
        sleep(min(interval.total_seconds(), left))


def _upsert(record: WeightedRecord, set_id: str, value: str, weight: int) -> dict[str, Any]:
    return {
        "Action": "UPSERT",
        "ResourceRecordSet": {
            "Name": record.name,
            "Type": record.type,
            "SetIdentifier": set_id,
            "Weight": weight,
            "TTL": record.ttl,
            "ResourceRecords": [{"Value": value}],
        },
    }
