"""The post-release review: one Markdown document built from the migration's status and journal."""

from collections.abc import Sequence

from cutover.journal import analyses_seen, full_analyses, full_timeline, timeline_gaps
from cutover.markdown import inline
from cutover.models import AnalysisResult, CheckRecord, EventKind, JournalPage, MigrationStatus, Series
from cutover.sparkline import BLOCKS, error_rates

MISSING = "–"
ANALYSIS_COLUMNS = (
    "service",
    "green %",
    "verdict",
    "green errors/requests (rate)",
    "blue errors/requests (rate)",
    "errors vs blue: e-value / bound",
    "latency vs blue: e-value / bound",
    "limits: burn rate",
    "p99 ms green / blue",
    "error rate per look",
    "why",
)

DECISION_KINDS = {
    EventKind.APPROVED,
    EventKind.REJECTED,
    EventKind.REFUSED,
    EventKind.PAUSED,
    EventKind.RESUMED,
    EventKind.ABORT,
    EventKind.REVERTED,
    EventKind.GATE_TIMEOUT,
}


def render_review(
    workflow_id: str,
    status: MigrationStatus,
    pages: Sequence[JournalPage] = (),
    group_pages: Sequence[Sequence[JournalPage]] = (),
) -> str:
    """The status with every event of its journal's pages and every decision of its analysis groups'
    (cutover.journal); without pages, the status's own. Every free text (names, comments, reasons)
    goes through inline(): it cannot break a table."""
    timeline, analyses = full_timeline(pages, status), full_analyses(pages, status, group_pages)
    lines = [
        f"# Post-release review: {inline(status.plan_name)}",
        "",
        f"- Workflow: {inline(workflow_id)}",
        f"- Outcome: **{status.outcome.value}**"
        + (f" — {inline(status.outcome_reason)}" if status.outcome_reason else ""),
        f"- Final phase: {status.phase.value}",
        "- Final weights (green %): "
        + (", ".join(f"{inline(s)}={w}" for s, w in sorted(status.weights.items())) or "none"),
        "",
        "## Decisions",
        "",
        "| time (UTC) | actor | decision |",
        "| --- | --- | --- |",
    ]
    decisions = [e for e in timeline if e.kind in DECISION_KINDS]
    lines += [
        f"| {e.time:%Y-%m-%d %H:%M:%S} | {inline(e.actor)} | {e.kind}: {inline(e.message)} |"
        for e in decisions
    ]
    if not decisions:
        lines.append("| | | none |")
    lines += [
        "",
        "## Analysis per traffic step",
        "",
        "Counts are the step's up to its decision. A test fails when its e-value reaches its bound "
        f"(1 / its alpha); {MISSING} where no test ran (no blue to compare with at 100% green) or "
        "nothing was recorded. Latency is compared as the requests slower than "
        "blue's p99; `p99 rule` where the metrics count none (a persistence rule, no guarantee). The "
        "limits are green's burn rates of max_error_rate and of a p99's 1% over max_p99_latency_ms "
        "(1x spends the budget exactly).",
        "",
        "| " + " | ".join(ANALYSIS_COLUMNS) + " |",
        "|" + " --- |" * len(ANALYSIS_COLUMNS),
    ]
    lines += [_analysis_row(a) for a in analyses] or ["| none |" + " |" * (len(ANALYSIS_COLUMNS) - 1)]
    if omitted := analyses_seen(status) - len(analyses):
        lines += ["", f"{omitted:,} earlier decisions are not in this table (it keeps the latest)."]
    lines += [
        "",
        "## Timeline",
        "",
        "| time (UTC) | phase/kind | actor | event |",
        "| --- | --- | --- | --- |",
    ]
    rows = [
        f"| {e.time:%Y-%m-%d %H:%M:%S} | {e.kind} | {inline(e.actor)} | {inline(e.message)} |"
        for e in timeline
    ]
    for gap in reversed(timeline_gaps(pages, status)):
        note = f"{gap.count} events not kept in the status; the workflow history has them"
        rows.insert(gap.at, f"| | | | … {note} |")
    lines += rows
    checks = [e for e in timeline if e.kind == EventKind.CHECK]
    lines += ["", "## Checks", ""]
    lines += [f"- {e.time:%Y-%m-%d %H:%M:%S} {inline(e.message)}" for e in checks] or ["- none ran"]
    rollbacks = [e for e in timeline if e.kind in (EventKind.ROLLBACK, EventKind.UNDO, EventKind.UNDO_STUCK)]
    lines += ["", "## Incidents and rollbacks", ""]
    lines += [f"- {e.time:%H:%M:%S} {inline(e.message)}" for e in rollbacks] or ["- none"]
    lines += [
        "",
        "## Lessons",
        "",
        "- _To be filled in by the team at the review meeting._",
        "",
    ]
    return "\n".join(lines)


def check_text(c: CheckRecord) -> str:
    """A check's result where it ran, in one line: `e2e at final: FAIL (advisory) — what it saw`."""
    where = c.stage + (f" at {c.weight}%" if c.weight is not None else "")
    verdict = c.result.verdict.value
    verdict = verdict if verdict == "pass" else verdict.upper()
    consequence = "" if c.result.passed or c.on_fail == "rollback" else f" ({c.on_fail})"
    return f"{c.result.check} ({c.result.kind}) {where}: {verdict}{consequence} — {c.result.summary}"


def verdict_text(a: AnalysisResult) -> str:
    """The decision; records from before v6 have only `passed`. A failure in capitals stands out."""
    verdict = a.verdict or ("pass" if a.passed else "fail")
    return verdict.upper() if verdict == "fail" else verdict


def evidence_text(value: float | None, bound: float | None) -> str:
    """An e-value and the bound it fails at: their sizes are what matter, not their digits."""
    return MISSING if value is None or bound is None else f"{_number(value)} / {_number(bound)}"


def latency_text(a: AnalysisResult) -> str:
    """Green's slow requests against blue's share (e-value / bound and the threshold), or the p99 rule
    where nothing counted them."""
    if not a.latency_counted:
        return "p99 rule"
    threshold = f" (>{a.latency_threshold_ms:.0f} ms)" if a.latency_threshold_ms else ""
    return evidence_text(a.latency_evidence, a.latency_bound) + threshold


def limits_text(a: AnalysisResult) -> str:
    """Green's burn rates of its budgets."""
    burns = [
        f"{name} {rate:.2g}x"
        for name, rate in (("errors", a.error_burn), ("latency", a.latency_burn))
        if rate is not None
    ]
    return ", ".join(burns) or MISSING


def side_text(errors: int | None, requests: int | None, rate: float) -> str:
    """One side's errors/requests and their rate; records from before v6 have the rate alone."""
    if errors is None or requests is None:
        return percent_text(rate)
    return f"{errors}/{requests} ({percent_text(errors / requests) if requests else MISSING})"


def percent_text(rate: float) -> str:
    return f"{rate * 100:.3g}%"


def _analysis_row(a: AnalysisResult) -> str:
    cells = [
        inline(a.service),
        str(a.weight),
        inline(verdict_text(a)),
        side_text(a.green_errors, a.green_requests, a.green_error_rate),
        side_text(a.blue_errors, a.blue_requests, a.blue_error_rate),
        evidence_text(a.evidence, a.bound),
        latency_text(a),
        limits_text(a),
        f"{_ms(a.green_p99_ms)} / {_ms(a.blue_p99_ms)}",
        _looks(a.looks),
        inline("; ".join(a.reasons)) or MISSING,
    ]
    return "| " + " | ".join(cells) + " |"


def _number(value: float) -> str:
    """About three digits, with no exponent from 0.0001 to a billion (a bound is often thousands)."""
    return f"{value:,.0f}" if 100 <= value < 1e9 else f"{value:.3g}"


def _ms(p99: float) -> str:
    """A p99 of 0 is a window with no latency samples: the status records none as 0."""
    return f"{p99:.0f}" if p99 else MISSING


def _looks(looks: Series | None) -> str:
    """Both sparklines on one scale, and the rate the full block stands for."""
    if looks is None or not looks.points:
        return MISSING
    lines = error_rates(looks)
    scale = f"{BLOCKS[-1]} = {percent_text(lines.top)}" if lines.top else "no errors"
    merged = f", {looks.looks_per_point} looks a mark" if looks.looks_per_point > 1 else ""
    return f"green `{lines.green}` blue `{lines.blue}` ({scale}{merged})"
