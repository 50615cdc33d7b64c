"""The status stays bounded whatever is recorded, free text cannot break the review's tables, and each
step's evidence (counts, e-values against their bounds, burn rates, verdict, looks) shows in the review,
`status` and the UI details, for records of every version."""

import re
from datetime import UTC, datetime

from cutover.cli.status_commands import format_status
from cutover.markdown import inline
from cutover.models import (
    MESSAGE_MAX,
    TIMELINE_HEAD,
    TIMELINE_LIMIT,
    AnalysisResult,
    Event,
    EventKind,
    LookCounts,
    MigrationStatus,
    Outcome,
    Series,
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


def looks(*points: tuple[int, int, int, int]) -> Series:
    """A step's looks of (green requests, green errors, blue requests, blue errors)."""
    series = Series()
    for gr, ge, br, be in points:
        series = series.add(LookCounts(green_requests=gr, green_errors=ge, blue_requests=br, blue_errors=be))
    return series


def evidence(
    service: str, weight: int, verdict: str, counts: tuple[int, int, int, int], **more: object
) -> AnalysisResult:
    """A record of 0.5: the step's counts (green requests, errors, blue requests, errors) and the rest."""
    gr, ge, br, be = counts
    fields: dict[str, object] = {
        "green_p99_ms": 120.0,
        "blue_p99_ms": 110.0,
        "evidence": 0.05,
        "bound": 27.8,
        "latency_evidence": 0.02,
        "latency_bound": 2222.0,
        "latency_threshold_ms": 121.0,
        "latency_counted": True,
        "error_burn": 0.8,
        "latency_burn": 0.1,
        **more,
    }
    return AnalysisResult.model_validate(
        {
            "service": service,
            "weight": weight,
            "passed": verdict != "fail",
            "green_error_rate": ge / gr if gr else 0.0,
            "blue_error_rate": be / br if br else 0.0,
            "verdict": verdict,
            "green_requests": gr,
            "green_errors": ge,
            "blue_requests": br,
            "blue_errors": be,
            **fields,
        }
    )


RISING = looks((100, 0, 100, 0), (100, 1, 100, 0), (100, 5, 100, 1), (0, 0, 0, 0), (100, 10, 100, 0))
FAILED = evidence(
    "checkout",
    25,
    "fail",
    (400, 16, 400, 1),
    evidence=31.2,
    error_burn=4.0,
    reasons=["green's error rate is above 1x blue's (e-value 31.2 over its bound 27.8)"],
    looks=RISING,
)
PASSED = evidence("cart", 25, "pass", (3000, 0, 3000, 0), looks=looks(*[(100, 0, 100, 0)] * 30))
UNDECIDED = evidence(
    "search",
    50,
    "inconclusive",
    (300, 0, 310, 1),
    evidence=0.4,
    bound=111.0,
    latency_counted=False,
    latency_evidence=None,
    latency_bound=None,
    latency_burn=None,
    reasons=["green served 300 requests, fewer than 1000"],
    looks=looks((300, 0, 310, 1)),
)
NO_BLUE = evidence(
    "checkout",
    100,
    "pass",
    (5000, 10, 0, 0),
    evidence=None,
    bound=None,
    latency_evidence=None,
    latency_bound=None,
    error_burn=0.2,
    blue_p99_ms=0.0,
    looks=looks((5000, 10, 0, 0)),
)
WATCHING = evidence(
    "checkout",
    50,
    "watching",
    (200, 3, 190, 1),
    evidence=1.5,
    bound=111.0,
    looks=looks((100, 0, 90, 0), (100, 3, 100, 1)),
)


def analysed(*watching: AnalysisResult) -> MigrationStatus:
    status = MigrationStatus(plan_name="p", watching=list(watching))
    for result in (FAILED, PASSED, UNDECIDED, NO_BLUE):
        status.add_analysis(result)
    return status


def analysis_rows(review: str) -> dict[tuple[str, str], dict[str, str]]:
    """The review's analysis table: each row's cells by column, keyed by (service, green %)."""
    table = [
        line
        for line in review.split("## Analysis per traffic step")[1].split("## Timeline")[0].splitlines()
        if line.startswith("|")
    ]
    header, *rows = ([cell.strip() for cell in UNESCAPED_PIPE.split(line)[1:-1]] for line in table)
    assert all(len(cells) == len(header) for cells in rows)
    return {(cells[0], cells[1]): dict(zip(header, cells, strict=True)) for cells in rows[1:]}


def test_the_review_shows_each_steps_counts_evidence_and_verdict() -> None:
    rows = analysis_rows(render_review("wf", analysed()))
    assert list(rows) == [("checkout", "25"), ("cart", "25"), ("search", "50"), ("checkout", "100")]
    failed = rows["checkout", "25"]
    assert failed["verdict"] == "FAIL"
    assert failed["green errors/requests (rate)"] == "16/400 (4%)"
    assert failed["blue errors/requests (rate)"] == "1/400 (0.25%)"
    assert failed["errors vs blue: e-value / bound"] == "31.2 / 27.8"
    assert failed["latency vs blue: e-value / bound"] == "0.02 / 2,222 (>121 ms)"
    assert failed["limits: burn rate"] == "errors 4x, latency 0.1x"
    assert failed["p99 ms green / blue"] == "120 / 110"
    assert failed["why"] == inline(FAILED.reasons[0])
    assert (rows["cart", "25"]["verdict"], rows["cart", "25"]["why"]) == ("pass", "–")
    undecided = rows["search", "50"]
    assert undecided["verdict"] == "inconclusive"
    assert undecided["why"] == "green served 300 requests, fewer than 1000"
    assert undecided["errors vs blue: e-value / bound"] == "0.4 / 111"
    assert undecided["latency vs blue: e-value / bound"] == "p99 rule", "no counts: no guarantee, said so"
    assert undecided["limits: burn rate"] == "errors 0.8x"


def test_the_review_shows_no_comparison_where_there_is_no_blue() -> None:
    full = analysis_rows(render_review("wf", analysed()))["checkout", "100"]
    assert full["errors vs blue: e-value / bound"] == "–"
    assert full["latency vs blue: e-value / bound"] == "– (>121 ms)"
    assert full["limits: burn rate"] == "errors 0.2x, latency 0.1x"
    assert full["green errors/requests (rate)"] == "10/5000 (0.2%)"
    assert full["blue errors/requests (rate)"] == "0/0 (–)"
    assert full["p99 ms green / blue"] == "120 / –"


def test_the_review_draws_green_and_blue_error_rates_per_look() -> None:
    rows = analysis_rows(render_review("wf", analysed()))
    assert rows["checkout", "25"]["error rate per look"] == "green `▁▃▅·█` blue `▁▁▃·▁` (█ = 10%)"
    merged = rows["cart", "25"]["error rate per look"]
    assert merged == f"green `{'▁' * 15}` blue `{'▁' * 15}` (no errors, 2 looks a mark)"
    assert rows["checkout", "100"]["error rate per look"] == "green `█` blue `·` (█ = 0.2%)"


def test_the_review_of_a_migration_before_v6_shows_what_it_recorded() -> None:
    old = AnalysisResult(
        service="checkout",
        weight=25,
        passed=False,
        green_error_rate=0.1,
        blue_error_rate=0.0,
        green_p99_ms=140,
        blue_p99_ms=100,
        reasons=["error rate 0.1 over 0.05"],
    )
    status = MigrationStatus(plan_name="p")
    status.add_analysis(old)
    status.add_analysis(old.model_copy(update={"weight": 5, "passed": True, "reasons": []}))
    rows = analysis_rows(render_review("wf", status))
    assert rows["checkout", "25"] == {
        "service": "checkout",
        "green %": "25",
        "verdict": "FAIL",
        "green errors/requests (rate)": "10%",
        "blue errors/requests (rate)": "0%",
        "errors vs blue: e-value / bound": "–",
        "latency vs blue: e-value / bound": "p99 rule",
        "limits: burn rate": "–",
        "p99 ms green / blue": "140 / 100",
        "error rate per look": "–",
        "why": "error rate 0.1 over 0.05",
    }
    assert (rows["checkout", "5"]["verdict"], rows["checkout", "5"]["why"]) == ("pass", "–")


def test_status_lists_each_decision_and_the_look_now() -> None:
    assert "watching now" not in format_status("wf", analysed())
    lines = format_status("wf", analysed(WATCHING)).splitlines()
    start = lines.index("  analyses (a test fails when its e-value reaches its bound):")
    decided = lines[start + 1 : start + 5]
    assert [" ".join(line.split()) for line in decided] == [
        "25% checkout FAIL green 16/400 (4%) blue 1/400 (0.25%) errors vs blue 31.2 / 27.8 "
        "latency 0.02 / 2,222 (>121 ms) limits errors 4x, latency 0.1x",
        "25% cart pass green 0/3000 (0%) blue 0/3000 (0%) errors vs blue 0.05 / 27.8 "
        "latency 0.02 / 2,222 (>121 ms) limits errors 0.8x, latency 0.1x",
        "50% search inconclusive green 0/300 (0%) blue 1/310 (0.323%) errors vs blue 0.4 / 111 "
        "latency p99 rule limits errors 0.8x",
        "100% checkout pass green 10/5000 (0.2%) blue 0/0 (–) errors vs blue – "
        "latency – (>121 ms) limits errors 0.2x, latency 0.1x",
    ]
    assert len({line.index(" blue ") for line in decided}) == 1, "the columns line up"
    now = lines.index("  watching now:")
    assert " ".join(lines[now + 1].split()) == (
        "50% checkout watching green 3/200 (1.5%) blue 1/190 (0.526%) errors vs blue 1.5 / 111 "
        "latency 0.02 / 2,222 (>121 ms) limits errors 0.8x, latency 0.1x"
    )
    assert lines[now + 2].split() == ["green", "▁█", "blue", "▁▄", "(█", "=", "3%)"]


def test_the_ui_details_show_the_look_now_and_the_last_decision_per_service() -> None:
    details = current_details(analysed(WATCHING))
    now, last = details.split("**Analysis now**")[1].split("**Last decision per service**")
    assert now.strip() == (
        "- checkout at 50%: green 3/200 (1.5%), blue 1/190 (0.526%); e-value / bound: errors vs blue "
        "1.5 / 111, latency 0.02 / 2,222 (>121 ms); limits errors 0.8x, latency 0.1x"
    )
    assert last.strip().splitlines() == [
        "- checkout at 100%: **pass** — green 10/5000 (0.2%), blue 0/0 (–); e-value / bound: errors vs "
        "blue –, latency – (>121 ms); limits errors 0.2x, latency 0.1x",
        "- cart at 25%: **pass** — green 0/3000 (0%), blue 0/3000 (0%); e-value / bound: errors vs blue "
        "0.05 / 27.8, latency 0.02 / 2,222 (>121 ms); limits errors 0.8x, latency 0.1x",
        "- search at 50%: **inconclusive** (green served 300 requests, fewer than 1000) — "
        "green 0/300 (0%), blue 1/310 (0.323%); e-value / bound: errors vs blue 0.4 / 111, "
        "latency p99 rule; limits errors 0.8x",
    ]
    assert "Analysis now" not in current_details(analysed())


def test_analysis_reasons_in_the_ui_details_are_literal() -> None:
    status = MigrationStatus(plan_name="p")
    status.add_analysis(FAILED.model_copy(update={"reasons": [HOSTILE]}))
    details = current_details(status)
    assert inline(HOSTILE) in details and "<script>" not in details and "\n# Heading" not in details
