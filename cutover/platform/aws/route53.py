"""TrafficRouter over Route 53 weighted records: one set identifier per environment."""

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from cutover.durations import format_duration
from cutover.models import WeightChange
from cutover.platform.aws.config import INSYNC_POLL_INTERVAL, INSYNC_TIMEOUT, WeightedRecord
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.interfaces import raise_first_failure

# Route 53 answers 5 requests/s an account, so set_green_percents sends one ChangeBatch a zone where it
# can. A ChangeBatch holds at most 1,000 ResourceRecord elements and 32,000 characters of Values, an
# UPSERT counting both twice: ROUTE53_BATCH record sets (a WeightChange is 2, of one ResourceRecord
# each) reach the first limit, ROUTE53_BATCH_CHARS characters of Values the second. A zone's changes
# beyond either go in further ChangeBatches.
ROUTE53_BATCH = 500
ROUTE53_BATCH_CHARS = 16_000

RecordSets = list[dict[str, Any]]
_Group = tuple[str, str, str]  # a record's sets in a zone's listing: zone id, name (with its dot), type


@dataclass(frozen=True)
class _Pending:
    """A change on its way: its index in the batch (what the error names) and its record."""

    index: int
    change: WeightChange
    record: WeightedRecord


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
        self.set_green_percents([change])

    def set_green_percents(self, changes: Sequence[WeightChange]) -> None:
        """UPSERT both weighted records of every change, one ChangeBatch a zone (more for a big one),
        wait until each is INSYNC, then read every weight back. A failure drops only the changes it
        touched (a ChangeBatch's, or one record's) from the steps after it."""
        failures: dict[int, Exception] = {}
        submitted = self._submit(self._configured(changes, failures), failures)
        self._read_back(self._wait(submitted, failures), failures)
        raise_first_failure(changes, failures)

    def _configured(self, changes: Sequence[WeightChange], failures: dict[int, Exception]) -> list[_Pending]:
        pending = []
        for index, change in enumerate(changes):
            try:
                pending.append(_Pending(index, change, self._record(change.namespace, change.service)))
            except PermanentError as error:
                failures[index] = error
        return pending

    def _submit(
        self, pending: list[_Pending], failures: dict[int, Exception]
    ) -> list[tuple[str, list[_Pending]]]:
        """Every zone's ChangeBatches, each with its change id."""
        submitted = []
        for zone_id, in_zone in _by_zone(pending).items():
            for batch in _batches(in_zone):
                try:
                    submitted.append((self._send(zone_id, batch), batch))
                except Exception as error:
                    _fail(failures, batch, error)
        return submitted

    def _send(self, zone_id: str, batch: list[_Pending]) -> str:
        changes = [upsert for p in batch for upsert in _upserts(p.record, p.change.green_percent)]
        try:
            response = self.route53.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Comment": _comment(batch), "Changes": changes}
            )
        except ClientError as error:
            raise translate(error, "UPSERT weighted records", _where(batch)) from error
        return str(response["ChangeInfo"]["Id"])

    def _wait(
        self, submitted: list[tuple[str, list[_Pending]]], failures: dict[int, Exception]
    ) -> list[_Pending]:
        """The changes INSYNC by one deadline for all: the ChangeBatches propagate side by side, and
        the wait must end inside the activity's timeout however many there are."""
        deadline = self.clock() + self.insync_timeout.total_seconds()
        insync = []
        for change_id, batch in submitted:
            try:
                self._wait_insync(change_id, batch, deadline)
            except Exception as error:
                _fail(failures, batch, error)
            else:
                insync += batch
        return insync

    def _wait_insync(self, change_id: str, batch: list[_Pending], deadline: float) -> None:
        def status() -> str:
            try:
                return str(self.route53.get_change(Id=change_id)["ChangeInfo"]["Status"])
            except ClientError as error:
                raise translate(error, f"read the status of change {change_id}", _where(batch)) from error

        left = timedelta(seconds=max(0.0, deadline - self.clock()))
        if not wait_until_insync(status, left, self.poll_interval, self.clock, self.sleep):
            raise TransientError(
                f"Route 53 change {change_id} for {_where(batch)} not INSYNC within "
                f"{format_duration(self.insync_timeout)}"
            )

    def _read_back(self, insync: list[_Pending], failures: dict[int, Exception]) -> None:
        """A weight that did not take fails its change as transient. The records are read in Route 53's
        listing order, so that one page listed at a record answers for those after it too."""
        found: dict[_Group, RecordSets] = {}
        for p in sorted(insync, key=lambda pending: _listing_order(pending.record)):
            try:
                sets = found.get(_group(p.record)) or self._read_at(p.record, found)
            except Exception as error:
                failures[p.index] = error
                continue
            actual, wanted = _green_share(p.record, sets), p.change.green_percent
            if actual != wanted:
                failures[p.index] = TransientError(
                    f"{p.record.name}: green weight reads back as {actual}%, expected {wanted}%"
                )

    def _read_at(self, record: WeightedRecord, found: dict[_Group, RecordSets]) -> RecordSets:
        """The record's sets, from one page listed at it; every record the page holds whole goes into
        `found` (all but the last of a page that goes on)."""
        page = self._page_at(record)
        groups: dict[_Group, RecordSets] = {}
        for record_set in page["ResourceRecordSets"]:
            groups.setdefault((record.zone_id, record_set["Name"], record_set["Type"]), []).append(record_set)
        own = groups.get(_group(record), [])
        if page["IsTruncated"] and groups:
            groups.popitem()
        found.update(groups)
        return own

    def green_percent(self, namespace: str, service: str) -> int:
        record = self._record(namespace, service)
        return _green_share(record, self._page_at(record)["ResourceRecordSets"])

    def _page_at(self, record: WeightedRecord) -> dict[str, Any]:
        """One page of the zone's sets from the record's on: its own, then those that follow."""
        try:
            page: dict[str, Any] = self.route53.list_resource_record_sets(
                HostedZoneId=record.zone_id, StartRecordName=record.name, StartRecordType=record.type
            )
        except ClientError as error:
            raise translate(error, "list weighted records", f"{record.zone_id}/{record.name}") from error
        return page


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


def _upserts(record: WeightedRecord, green_percent: int) -> list[dict[str, Any]]:
    """Both weighted records of one change, for one ChangeBatch: Route 53 applies a batch whole."""
    return [
        _upsert(record, record.blue_set_id, record.blue_value, 100 - green_percent),
        _upsert(record, record.green_set_id, record.green_value, green_percent),
    ]


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


def _by_zone(pending: Sequence[_Pending]) -> dict[str, list[_Pending]]:
    zones: dict[str, list[_Pending]] = {}
    for p in pending:
        zones.setdefault(p.record.zone_id, []).append(p)
    return zones


def _batches(in_zone: list[_Pending]) -> Iterator[list[_Pending]]:
    """The zone's changes in runs that each fit one ChangeBatch (ROUTE53_BATCH, ROUTE53_BATCH_CHARS)."""
    batch: list[_Pending] = []
    chars = 0
    for p in in_zone:
        size = len(p.record.blue_value) + len(p.record.green_value)
        if batch and (2 * (len(batch) + 1) > ROUTE53_BATCH or chars + size > ROUTE53_BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(p)
        chars += size
    if batch:
        yield batch


def _fail(failures: dict[int, Exception], pending: Sequence[_Pending], error: Exception) -> None:
    failures.update((p.index, error) for p in pending)


def _where(batch: Sequence[_Pending]) -> str:
    """The zone and record a message names; several records by their number."""
    zone_id = batch[0].record.zone_id
    return f"{zone_id}/{batch[0].record.name}" if len(batch) == 1 else f"{zone_id} ({len(batch)} records)"


def _comment(batch: Sequence[_Pending]) -> str:
    """What the change history shows (at most 256 characters)."""
    weights = {p.change.green_percent for p in batch}
    if len(weights) == 1:
        return f"cutover: {weights.pop()}% green"
    return f"cutover: green weights of {len(batch)} services"


def _green_share(record: WeightedRecord, sets: RecordSets) -> int:
    """The green set's share of the record's weights among `sets` (0 while it has none)."""
    fqdn = _fqdn(record)
    weights = {
        s["SetIdentifier"]: int(s["Weight"])
        for s in sets
        if s["Name"] == fqdn and s["Type"] == record.type and "SetIdentifier" in s
    }
    total = sum(weights.values())
    return round(100 * weights.get(record.green_set_id, 0) / total) if total else 0


def _fqdn(record: WeightedRecord) -> str:
    return record.name if record.name.endswith(".") else record.name + "."


def _group(record: WeightedRecord) -> _Group:
    return record.zone_id, _fqdn(record), record.type


def _listing_order(record: WeightedRecord) -> tuple[str, str, str]:
    """Where ListResourceRecordSets lists the record: by zone, then name with its labels reversed
    (com.example.www), then type. Only the number of reads depends on it."""
    labels = record.name.lower().rstrip(".").split(".")
    return record.zone_id, ".".join(reversed(labels)), record.type
