"""The report store in S3, on a moto server over HTTP: pages replaced whole and listed past a listing's
1,000 keys, the review where earlier releases copied it, and a missing bucket said plainly."""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cutover.demo.motoserver import REGION
from cutover.models import Event, EventKind, JournalPage
from cutover.platform.aws.s3 import S3ReportStore
from cutover.platform.errors import PermanentError
from cutover.platform.wiring import build_report_store, load_platform_config

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def page(seq: int, message: str = "") -> JournalPage:
    event = Event(time=NOW, actor="system", kind=EventKind.HEALTH, message=message or f"page {seq}")
    return JournalPage(seq=seq, events=[event], analyses=[])


@pytest.fixture
def store(aws: Any) -> S3ReportStore:
    bucket = f"reports-{uuid.uuid4().hex[:6]}"
    aws("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return S3ReportStore(aws("s3"), bucket, "cutover/")


def test_pages_round_trip_in_order_and_a_retry_replaces_its_page(store: S3ReportStore, aws: Any) -> None:
    assert store.pages("mig") == []
    for seq in (3, 0, 2, 1):
        store.put_page("mig", page(seq))
    store.put_page("mig", page(2, "retried"))
    store.put_page("mig/page-7", page(7))  # another migration whose id goes on with a `/`
    store.put_page("mi", page(5))
    assert [(p.seq, p.events[0].message) for p in store.pages("mig")] == [
        (0, "page 0"),
        (1, "page 1"),
        (2, "retried"),
        (3, "page 3"),
    ]
    keys = aws("s3").list_objects_v2(Bucket=store.bucket, Prefix="cutover/mig/")["Contents"]
    assert sorted(k["Key"] for k in keys)[:4] == [f"cutover/mig/page-00000{n}.json" for n in range(4)]


def test_more_pages_than_one_listing_holds(store: S3ReportStore) -> None:
    small = S3ReportStore(store.s3, store.bucket, store.prefix, listing_keys=3)
    for seq in range(10):
        small.put_page("long", page(seq))
    small.put_page("long/more", page(10))  # listed as a common prefix, in a listing of its own
    assert [p.seq for p in small.pages("long")] == list(range(10))


def test_the_review_is_where_earlier_releases_copied_it(store: S3ReportStore, aws: Any) -> None:
    assert store.review("cutover-shop") is None
    address = store.put_review("cutover-shop", "# Post-release review\n")
    assert address == f"s3://{store.bucket}/cutover/cutover-shop.md"
    body = aws("s3").get_object(Bucket=store.bucket, Key="cutover/cutover-shop.md")["Body"].read()
    assert body == b"# Post-release review\n" and store.review("cutover-shop") == "# Post-release review\n"


def test_a_missing_bucket_is_a_permanent_error_naming_it(aws: Any) -> None:
    store = S3ReportStore(aws("s3"), "no-such-bucket-here", "cutover/")
    for call in (
        lambda: store.pages("mig"),
        lambda: store.put_page("mig", page(0)),
        lambda: store.review("m"),
    ):
        with pytest.raises(PermanentError, match="s3://no-such-bucket-here/cutover/") as caught:
            call()
        assert caught.value.kind == "aws.NoSuchBucket"


def test_a_page_that_does_not_parse_is_a_permanent_error(store: S3ReportStore, aws: Any) -> None:
    aws("s3").put_object(Bucket=store.bucket, Key="cutover/mig/page-000000.json", Body=b"[]")
    with pytest.raises(PermanentError, match=r"cutover/mig/page-000000.json is not a journal page"):
        store.pages("mig")


def test_reviews_configured_make_the_store_s3(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("reviews: {region: eu-west-1, bucket: sre-reviews, prefix: cutover/}\n")
    store = build_report_store(load_platform_config(path), tmp_path)
    assert isinstance(store, S3ReportStore) and (store.bucket, store.prefix) == ("sre-reviews", "cutover/")
