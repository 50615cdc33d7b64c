"""The post-release review: one Markdown document built from the migration's status."""

from cutover.models import MigrationStatus

DECISION_KINDS = {"approved", "rejected", "refused", "paused", "resumed", "abort", "gate-timeout"}


def render_review(workflow_id: str, status: MigrationStatus) -> str:
    lines = [
        f"# Post-release review: {status.plan_name}",
        "",
        f"- Workflow: `{workflow_id}`",
        f"- Outcome: **{status.outcome.value}**"
        + (f" — {status.outcome_reason}" if status.outcome_reason else ""),
        f"- Final phase: {status.phase.value}",
        "- Final weights (green %): "
        + (", ".join(f"{s}={w}" for s, w in sorted(status.weights.items())) or "none"),
        "",
        "## Decisions",
        "",
        "| time (UTC) | actor | decision |",
        "| --- | --- | --- |",
    ]
    decisions = [e for e in status.timeline if e.kind in DECISION_KINDS]
    lines += [f"| {e.time:%Y-%m-%d %H:%M:%S} | {e.actor} | {e.kind}: {e.message} |" for e in decisions]
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
            f"| {a.service} | {a.weight} | {'pass' if a.passed else 'FAIL'} "
            f"| {a.green_error_rate:.4f} | {a.blue_error_rate:.4f} "
            f"| {a.green_p99_ms:.0f} | {a.blue_p99_ms:.0f} | {'; '.join(a.reasons)} |"
        )
    lines += [
        "",
        "## Timeline",
        "",
        "| time (UTC) | phase/kind | actor | event |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {e.time:%Y-%m-%d %H:%M:%S} | {e.kind} | {e.actor} | {e.message} |" for e in status.timeline]
    rollbacks = [e for e in status.timeline if e.kind in ("rollback", "undo", "undo-stuck")]
    lines += ["", "## Incidents and rollbacks", ""]
    lines += [f"- {e.time:%H:%M:%S} {e.message}" for e in rollbacks] or ["- none"]
    lines += [
        "",
        "## Lessons",
        "",
        "- _To be filled in by the team at the review meeting._",
        "",
    ]
    return "\n".join(lines)
