"""The journal puts the store's pages and the bounded status back together: every event and decision
once, in order, however the status dropped its middle, and a review of all of it."""

from datetime import UTC, datetime

from cutover.journal import (
    Gap,
    count_page,
    full_analyses,
    full_timeline,
    next_page,
    stored_pages,
    timeline_gaps,
    unstored_analyses,
    unstored_events,
)
from cutover.models import (
    ANALYSES_KEPT,
    TIMELINE_HEAD,
    TIMELINE_LIMIT,
    AnalysisResult,
    Event,
    EventKind,
    JournalPage,
    MigrationStatus,
)
from cutover.report import render_review

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event(number: int) -> Event:
    return Event(time=NOW, actor="system", kind=EventKind.HEALTH, message=f"event {number}")


def decision(number: int) -> AnalysisResult:
    return AnalysisResult(
        service=f"svc-{number}",
        weight=25,
        passed=True,
        green_error_rate=0.0,
        blue_error_rate=0.0,
        green_p99_ms=0,
        blue_p99_ms=0,
    )


def messages(events: list[Event]) -> list[str]:
    return [e.message for e in events]


def numbered(first: int, end: int) -> list[str]:
    return [f"event {n}" for n in range(first, end)]


class Migration:
    """A status as the workflow keeps it, flushing a page whenever told to."""

    def __init__(self) -> None:
        self.status = MigrationStatus(plan_name="p")
        self.pages: list[JournalPage] = []
        self.events = 0
        self.decisions = 0

    def record(self, count: int) -> None:
        for _ in range(count):
            self.status.record(event(self.events))
            self.events += 1

    def decide(self, count: int) -> None:
        for _ in range(count):
            self.status.add_analysis(decision(self.decisions))
            self.decisions += 1

    def flush(self) -> JournalPage:
        page = next_page(self.status)
        self.pages.append(page)
        count_page(self.status, page)
        return page


def test_a_migration_flushed_in_time_gets_every_event_and_decision_back_once() -> None:
    m = Migration()
    for _ in range(12):
        m.record(120)
        m.decide(60)
        m.flush()
    m.record(30)
    m.decide(7)
    assert m.status.timeline_omitted > 0 and m.status.analyses_omitted > 0, "the status dropped its middle"
    assert messages(full_timeline(m.pages, m.status)) == numbered(0, m.events)
    assert [a.service for a in full_analyses(m.pages, m.status)] == [f"svc-{n}" for n in range(m.decisions)]
    assert timeline_gaps(m.pages, m.status) == []


def test_unstored_events_are_the_latest_when_the_middle_was_dropped() -> None:
    m = Migration()
    m.record(450)
    m.flush()
    m.record(150)  # 600 recorded: events 50..149 dropped, all stored
    assert m.status.timeline_omitted == 100 and m.status.events_stored == 450
    assert messages(unstored_events(m.status)) == numbered(450, 600)
    assert messages(full_timeline(m.pages, m.status)) == numbered(0, 600)


def test_a_late_flush_keeps_the_head_the_status_kept_and_counts_what_it_dropped() -> None:
    m = Migration()
    m.record(30)
    m.flush()
    m.record(570)  # 600 recorded, 30 stored: the status keeps 0..49 and 150..599
    assert messages(unstored_events(m.status)) == numbered(30, TIMELINE_HEAD) + numbered(150, 600)
    page = m.flush()
    assert page.events_omitted == 100 and m.status.events_stored == 600
    m.record(5)
    assert messages(unstored_events(m.status)) == numbered(600, 605)
    full = messages(full_timeline(m.pages, m.status))
    assert full == numbered(0, TIMELINE_HEAD) + numbered(150, 605)
    assert timeline_gaps(m.pages, m.status) == [Gap(count=100, at=TIMELINE_HEAD)]


def test_a_late_flush_after_the_head_leaves_its_gap_where_the_events_were() -> None:
    m = Migration()
    m.record(200)
    m.flush()
    m.record(TIMELINE_LIMIT)  # 700 recorded: 200..249 dropped before any flush stored them
    assert messages(unstored_events(m.status)) == numbered(250, 700)
    assert timeline_gaps(m.pages, m.status) == [Gap(count=50, at=200)]
    m.flush()
    m.record(3)
    assert messages(full_timeline(m.pages, m.status)) == numbered(0, 200) + numbered(250, 703)
    assert timeline_gaps(m.pages, m.status) == [Gap(count=50, at=200)]


def test_unstored_analyses_are_the_latest_kept() -> None:
    m = Migration()
    m.decide(150)  # the status keeps 50..149
    m.status.analyses_stored = 120
    assert [a.service for a in unstored_analyses(m.status)] == [f"svc-{n}" for n in range(120, 150)]
    m.status.analyses_stored = 20
    assert len(unstored_analyses(m.status)) == ANALYSES_KEPT, "30 dropped before a flush: the rest"
    assert next_page(m.status).analyses_omitted == 30
    m.status.analyses_stored = 150
    assert unstored_analyses(m.status) == []


def test_without_pages_the_record_is_the_status_alone() -> None:
    m = Migration()
    m.record(TIMELINE_LIMIT + 40)
    m.decide(ANALYSES_KEPT + 5)
    assert full_timeline([], m.status) == m.status.timeline
    assert full_analyses([], m.status) == m.status.analyses
    assert timeline_gaps([], m.status) == [Gap(count=40, at=TIMELINE_HEAD)]
    assert render_review("wf", m.status, []) == render_review("wf", m.status)


def test_pages_the_status_does_not_count_are_not_read() -> None:
    m = Migration()
    m.record(10)
    m.flush()
    m.record(10)
    in_flight = next_page(m.status)  # stored, but the workflow has not counted it yet
    assert messages(full_timeline([*m.pages, in_flight], m.status)) == numbered(0, 20), "not twice"
    earlier = Migration()  # a finished migration with the same id left its pages behind
    earlier.record(600)
    earlier.flush()
    assert stored_pages(earlier.pages, Migration().status) == []
    assert stored_pages(earlier.pages, m.status) is None, "do not add up: the status alone"
    assert full_timeline(earlier.pages, m.status) == m.status.timeline
    assert full_timeline([], m.status) == m.status.timeline, "pages missing: the status alone"


def test_the_review_from_pages_has_what_the_status_dropped() -> None:
    m = Migration()
    m.record(TIMELINE_HEAD + 10)
    m.status.record(Event(time=NOW, actor="alice", kind=EventKind.APPROVED, message="uat approved"))
    m.decide(1)
    m.flush()
    for _ in range(3):
        m.record(200)
        m.decide(40)
        m.flush()
    m.record(10)
    assert "uat approved" not in messages(m.status.timeline) and m.status.timeline_omitted
    assert "event 120" not in messages(m.status.timeline) and m.status.analyses_omitted
    review = render_review("wf", m.status, m.pages)
    assert "| alice | approved: uat approved |" in review, "the decision the status dropped"
    assert "| svc-0 |" in review and "event 120 |" in review
    assert "not kept in the status" not in review and "earlier decisions are not" not in review
    bounded = render_review("wf", m.status)
    assert "uat approved" not in bounded and "events not kept in the status" in bounded
