"""The post-release review: one Markdown document built from the migration's status."""

from cutover.markdown import inline
from cutover.models import TIMELINE_HEAD, EventKind, MigrationStatus

DECISION_KINDS = {
    EventKind.APPROVED,
    EventKind.REJECTED,
    EventKind.REFUSED,
    EventKind.PAUSED,
    EventKind.RESUMED,
    EventKind.ABORT,
    EventKind.GATE_TIMEOUT,
}


def render_review(workflow_id: str, status: MigrationStatus) -> str:
    """Every free text (names, comments, reasons) goes through inline(): it cannot break a table."""
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
    decisions = [e for e in status.timeline if e.kind in DECISION_KINDS]
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
        "| service | green % | result | green err | blue err | green p99 ms | blue p99 ms | why |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in status.analyses:
        lines.append(
            f"| {inline(a.service)} | {a.weight} | {'pass' if a.passed else 'FAIL'} "
            f"| {a.green_error_rate:.4f} | {a.blue_error_rate:.4f} "
            f"| {a.green_p99_ms:.0f} | {a.blue_p99_ms:.0f} | {inline('; '.join(a.reasons))} |"
        )
    lines += [
        "",
        "## Timeline",
        "",
        "| time (UTC) | phase/kind | actor | event |",
        "| --- | --- | --- | --- |",
    ]
    rows = [
        f"| {e.time:%Y-%m-%d %H:%M:%S} | {e.kind} | {inline(e.actor)} | {inline(e.message)} |"
        for e in status.timeline
    ]
    if status.timeline_omitted:
        note = f"{status.timeline_omitted} events not kept in the status; the workflow history has them"
        rows.insert(TIMELINE_HEAD, f"| | | | … {note} |")
    lines += rows
    rollbacks = [
        e for e in status.timeline if e.kind in (EventKind.ROLLBACK, EventKind.UNDO, EventKind.UNDO_STUCK)
    ]
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
