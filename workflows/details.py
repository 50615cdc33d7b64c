"""The Web UI's current details of a migration: phase, step, what it waits for, what it refused."""

from cutover.markdown import inline
from cutover.models import MigrationStatus, Outcome


def current_details(s: MigrationStatus) -> str:
    """Markdown; every free text (names, reasons, comments) escaped so it cannot break the layout."""
    lines = [f"**{inline(s.plan_name)}** — phase **{s.phase.value}**", "", f"Step: {inline(s.step)}"]
    if s.open_gate:
        lines.append(
            f"**Waiting for approval** of gate `{s.open_gate.name}` by "
            f"{', '.join(inline(a) for a in s.open_gate.approvers)} "
            f"(until {s.open_gate.deadline:%Y-%m-%d %H:%M} UTC)"
        )
    if s.paused:
        lines.append("**Paused** — send `resume` to continue")
    if s.stuck_undo:
        lines.append(f"**Rollback stuck** at: {inline(s.stuck_undo)} — fix it, then send `resume`")
    if s.weights:
        lines.append("Green traffic: " + ", ".join(f"{inline(k)} {v}%" for k, v in sorted(s.weights.items())))
    if s.outcome != Outcome.RUNNING:
        lines.append(f"Outcome: **{s.outcome.value}** {inline(s.outcome_reason)}")
    if s.refusals:
        lines.append("Refused lately:")
        lines += [f"- {e.time:%H:%M:%S} {inline(e.actor)}: {inline(e.message)}" for e in s.refusals]
    return "\n\n".join(lines)
