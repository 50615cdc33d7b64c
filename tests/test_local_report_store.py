"""The report store in a folder, and the activities that fill it: pages replaced whole and read back in
order, every workflow id kept inside the folder, and the review of every event stored."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.seed import seed
from cutover.file_names import NAME_MAX, file_name
from cutover.journal import count_page, next_page
from cutover.models import (
    TIMELINE_HEAD,
    TIMELINE_LIMIT,
    Event,
    EventKind,
    JournalPage,
    JournalPageRequest,
    MigrationStatus,
    ReportRequest,
)
from cutover.platform.errors import PermanentError
from cutover.platform.local_reports import LocalReportStore
from cutover.platform.wiring import build_report_store, load_platform_config

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def page(seq: int, *messages: str) -> JournalPage:
    events = [Event(time=NOW, actor="system", kind=EventKind.HEALTH, message=m) for m in messages]
    return JournalPage(seq=seq, events=events, analyses=[])


def files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_page_put_again_replaces_itself_and_pages_come_back_in_order(tmp_path: Path) -> None:
    store = LocalReportStore(tmp_path)
    assert store.pages("mig") == [] and store.review("mig") is None
    for seq in (10, 2, 9, 0, 1_000_000, 1):
        store.put_page("mig", page(seq, f"first {seq}"))
    store.put_page("mig", page(2, "retried"))
    assert [p.seq for p in store.pages("mig")] == [0, 1, 2, 9, 10, 1_000_000]
    assert store.pages("mig")[2].events[0].message == "retried"
    assert len(files(tmp_path)) == 6, "one file a page, no temporary file left behind"
    assert store.pages("other") == []


def test_the_review_is_where_the_worker_always_wrote_it(tmp_path: Path) -> None:
    store = LocalReportStore(tmp_path)
    where = store.put_review("cutover-shop", "# Post-release review\n")
    assert where == str(tmp_path / "cutover-shop.md")
    assert store.review("cutover-shop") == "# Post-release review\n"
    (tmp_path / "cutover-older.md").write_text("# written by 0.5\n")
    assert store.review("cutover-older") == "# written by 0.5\n"


@pytest.mark.parametrize(
    "workflow_id", ["../escape", "..", ".", "a/b", "/etc/passwd", "x/../../y", ".hidden", "a%2Fb", "ü ö\n"]
)
def test_no_workflow_id_leaves_the_folder_or_meets_another(tmp_path: Path, workflow_id: str) -> None:
    root = tmp_path / "reports"
    store = LocalReportStore(root)
    store.put_page(workflow_id, page(0, workflow_id))
    store.put_review(workflow_id, workflow_id)
    store.put_page("a", page(0, "a"))
    assert [path for path in tmp_path.rglob("*") if root not in path.parents and path != root] == []
    assert all(len(path.relative_to(root).parts) <= 2 for path in root.rglob("*"))
    assert store.pages(workflow_id)[0].events[0].message == workflow_id
    assert store.review(workflow_id) == workflow_id
    assert store.pages("a")[0].events[0].message == "a"


def test_long_ids_get_short_names_of_their_own() -> None:
    long_a, long_b = "m" * 900 + "a", "m" * 900 + "b"
    assert len(file_name(long_a)) <= NAME_MAX and file_name(long_a) != file_name(long_b)
    assert len({file_name(i) for i in ("a/b", "a%2Fb", "a_b", ".a", "%2Ea")}) == 5
    assert file_name("cutover-shop-2026-11-28T01:00:00Z") == "cutover-shop-2026-11-28T01:00:00Z"


def test_a_page_that_does_not_parse_is_a_permanent_error(tmp_path: Path) -> None:
    store = LocalReportStore(tmp_path)
    store.put_page("mig", page(0, "ok"))
    (tmp_path / "mig" / "page-000001.json").write_text("{not json")
    with pytest.raises(PermanentError, match="page-000001.json is not a journal page") as caught:
        store.pages("mig")
    assert caught.value.kind == "journal.BadPage"


def test_without_reviews_configured_the_store_is_the_folder(tmp_path: Path) -> None:
    store = build_report_store(load_platform_config(None), tmp_path)
    assert isinstance(store, LocalReportStore) and store.root == tmp_path


async def test_the_review_has_every_stored_event_and_is_stored(tmp_path: Path) -> None:
    """What the status dropped comes from the pages store_journal kept; 0.5's workflow, which stores
    none, gets the review of its status as before."""
    local = seed(tmp_path / "local-env.json")
    store = LocalReportStore(tmp_path / "store")
    acts = MigrationActivities(local, local, local, tmp_path / "reports", store)
    status = MigrationStatus(plan_name="shop")
    for number in range(3 * TIMELINE_LIMIT):
        status.record(Event(time=NOW, actor="system", kind=EventKind.HEALTH, message=f"event {number}"))
        if number % 200 == 199:
            flushed = next_page(status)
            await ActivityEnvironment().run(
                acts.store_journal, JournalPageRequest(workflow_id="mig/1", page=flushed)
            )
            count_page(status, flushed)
    dropped = f"event {TIMELINE_HEAD + 1} |"
    assert f"event {TIMELINE_HEAD + 1}" not in [e.message for e in status.timeline]

    path = await ActivityEnvironment().run(
        acts.write_report, ReportRequest(workflow_id="mig/1", status=status)
    )
    assert path == str(tmp_path / "reports" / "mig%2F1.md")
    review = Path(path).read_text()
    assert dropped in review and "not kept in the status" not in review
    assert store.review("mig/1") == review

    old = MigrationStatus(
        plan_name="shop", timeline=status.timeline, timeline_omitted=status.timeline_omitted
    )
    path = await ActivityEnvironment().run(acts.write_report, ReportRequest(workflow_id="v05", status=old))
    assert dropped not in Path(path).read_text() and "events not kept in the status" in Path(path).read_text()
