"""The Web UI's current details of a migration: phase, step, what it waits for, the analysis's
evidence (the latest look while a bake runs, the last decision per service), what it refused."""

from cutover.markdown import inline
from cutover.models import AnalysisResult, MigrationStatus, OpenGate, Outcome, Phase
from cutover.report import check_text, evidence_text, latency_text, limits_text, side_text, verdict_text


def current_details(s: MigrationStatus) -> str:
    """Markdown; every free text (names, reasons, comments) escaped so it cannot break the layout.
    A rollback comes first: the close status of a rolled-back migration is Completed, as a success's."""
    lines = [
        *_rollback(s),
        f"**{inline(s.plan_name)}** — phase **{s.phase.value}**",
        "",
        f"Step: {inline(s.step)}",
    ]
    if s.open_gate:
        lines.append(
            f"**Waiting for approval** of gate `{s.open_gate.name}` by "
            f"{', '.join(inline(a) for a in s.open_gate.approvers)} "
            f"(until {s.open_gate.deadline:%Y-%m-%d %H:%M} UTC)"
            + (f" — {inline(s.open_gate.note)}" if s.open_gate.note else "")
            + _quorum(s.open_gate)
        )
    if s.paused:
        lines.append("**Paused** — send `resume` to continue")
    if s.stuck_undo:
        lines.append(f"**Rollback stuck** at: {inline(s.stuck_undo)} — fix it, then send `resume`")
    if s.weights:
        lines.append("Green traffic: " + ", ".join(f"{inline(k)} {v}%" for k, v in sorted(s.weights.items())))
    if s.outcome != Outcome.RUNNING:
        lines.append(f"Outcome: **{s.outcome.value}** {inline(s.outcome_reason)}")
    if s.analysis_groups:
        lines.append(
            f"**Watching** in {len(s.analysis_groups)} analysis group(s), each with its latest looks "
            "(query `watching`): " + ", ".join(f"`{inline(g)}`" for g in s.analysis_groups)
        )
    if s.watching:
        looks = (f"- {inline(a.service)} at {a.weight}%: {_evidence(a)}" for a in s.watching)
        lines.append("**Analysis now**\n\n" + "\n".join(looks))
    if s.analyses:
        last = {a.service: a for a in s.analyses}.values()
        lines.append("**Last decision per service**\n\n" + "\n".join(_decision(a) for a in last))
    if s.checks:
        latest = {(c.result.check, c.stage): c for c in s.checks}.values()
        lines.append(
            "**Checks** (latest per check and stage)\n\n"
            + "\n".join(f"- {inline(check_text(c))}" for c in latest)
        )
    if s.refusals:
        lines.append("Refused lately:")
        lines += [f"- {e.time:%H:%M:%S} {inline(e.actor)}: {inline(e.message)}" for e in s.refusals]
    return "\n\n".join(lines)


def _rollback(s: MigrationStatus) -> list[str]:
    """The first line of a migration that is rolling back or has rolled back, with why."""
    why = inline(s.outcome_reason) or "no reason recorded"
    if s.outcome == Outcome.ROLLED_BACK:
        return [f"**ROLLED BACK: {why}** — not a success; blue serves what it served before"]
    if s.phase == Phase.ROLLING_BACK:
        return [f"**ROLLING BACK: {why}**"]
    return []


def _quorum(gate: OpenGate) -> str:
    """Who approved so far, when the gate needs more than one approval."""
    if gate.needed == 1:
        return ""
    approved = ", ".join(inline(a) for a in gate.approved_by) or "nobody yet"
    return f" — needs {gate.needed} distinct approvals; approved by {approved}"


def _evidence(a: AnalysisResult) -> str:
    """The step's counts so far, each comparison's e-value against the bound it fails at, the burn rates."""
    green = side_text(a.green_errors, a.green_requests, a.green_error_rate)
    blue = side_text(a.blue_errors, a.blue_requests, a.blue_error_rate)
    comparison = evidence_text(a.evidence, a.bound)
    return (
        f"green {green}, blue {blue}; e-value / bound: errors vs blue {comparison}, "
        f"latency {latency_text(a)}; limits {limits_text(a)}"
    )


def _decision(a: AnalysisResult) -> str:
    why = f" ({inline('; '.join(a.reasons))})" if a.reasons else ""
    return f"- {inline(a.service)} at {a.weight}%: **{inline(verdict_text(a))}**{why} — {_evidence(a)}"
