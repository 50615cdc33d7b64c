"""The status stays bounded whatever is recorded, and free text cannot break the review's tables."""

import re
from datetime import UTC, datetime

from cutover.markdown import inline
from cutover.models import (
    MESSAGE_MAX,
    TIMELINE_HEAD,
    TIMELINE_LIMIT,
    AnalysisResult,
    Event,
    EventKind,
    MigrationStatus,
    Outcome,
)
from cutover.report import render_review
from cutover.workflows.details import current_details

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOSTILE = "ok | 50% |\n# Heading\n- [link](http://x) <script>alert(1)</script> **bold** `code` \\| ~~x~~"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def event(number: int, kind: EventKind = EventKind.HEALTH, message: str = "") -> Event:
    return Event(time=NOW, actor="alice", kind=kind, message=message or f"event {number}")


def test_the_timeline_keeps_its_start_and_its_latest_events() -> None:
    status = MigrationStatus(plan_name="p")
    total = TIMELINE_LIMIT + 250
    for number in range(total):
        status.record(event(number))
    assert len(status.timeline) == TIMELINE_LIMIT and status.events_recorded == total
    assert status.timeline_omitted == 250
    assert [e.message for e in status.timeline[:2]] == ["event 0", "event 1"]
    assert status.timeline[TIMELINE_HEAD].message == f"event {TIMELINE_HEAD + 250}"
    assert status.timeline[-1].message == f"event {total - 1}"
    assert [e.message for e in status.events_since(total - 2)] == [f"event {total - 2}", f"event {total - 1}"]
    assert status.events_since(TIMELINE_HEAD + 10)[0].message == f"event {TIMELINE_HEAD + 250}", (
        "lost: omitted"
    )
    assert status.events_since(total) == []


def test_a_huge_message_is_clipped_and_refusals_keep_the_last_few() -> None:
    status = MigrationStatus(plan_name="p")
    status.record(event(0, message="x" * 1_000_000))
    assert len(status.timeline[0].message) < MESSAGE_MAX + 40
    for number in range(9):
        status.record(event(number, kind=EventKind.REFUSED))
    assert [e.message for e in status.refusals] == [f"event {n}" for n in range(4, 9)]


def test_free_text_cannot_break_the_review_tables() -> None:
    status = MigrationStatus(plan_name="p", outcome=Outcome.ROLLED_BACK, outcome_reason=HOSTILE)
    for kind in (EventKind.APPROVED, EventKind.REFUSED, EventKind.ROLLBACK):
        status.record(Event(time=NOW, actor=HOSTILE, kind=kind, message=HOSTILE))
    status.add_analysis(
        AnalysisResult(
            service="checkout",
            weight=25,
            passed=False,
            green_error_rate=0.1,
            blue_error_rate=0.0,
            green_p99_ms=1,
            blue_p99_ms=1,
            reasons=[HOSTILE],
        )
    )
    review = render_review("wf|1", status)
    rows = [line for line in review.splitlines() if line.startswith("|")]
    header_cells = {line.count("|") for line in rows if line.startswith("| ---")}
    for row in rows:
        assert len(UNESCAPED_PIPE.findall(row)) in header_cells, row
    assert "<script>" not in review and "\n# Heading" not in review
    assert not any(line.startswith(("# Heading", "- [link]")) for line in review.splitlines())


def test_free_text_in_the_ui_details_is_literal() -> None:
    status = MigrationStatus(plan_name="p", outcome=Outcome.ROLLED_BACK, outcome_reason=HOSTILE, step=HOSTILE)
    status.record(Event(time=NOW, actor=HOSTILE, kind=EventKind.REFUSED, message=HOSTILE))
    details = current_details(status)
    assert inline(HOSTILE) in details and HOSTILE not in details
    assert "<script>" not in details and "\n# Heading" not in details


def test_a_timeline_line_carries_no_control_characters() -> None:
    line = Event(time=NOW, actor="eve\x1b[2J", kind=EventKind.REFUSED, message="a\nb\rc\x07").line()
    assert "\n" not in line and "\x1b" not in line and "\x07" not in line
