"""How a migration is started: its workflow task timeout, and its summary and details in the Web UI.

The task timeout is what a worker killed mid-task costs: Temporal hands a workflow task a dead
worker had started to another worker only when the task's timeout runs out, so a short timeout
makes a crash cheap. But a worker that has not cached the migration (a restarted one) replays the
whole history inside one task, and a long history takes seconds (bench/bench_migration.py: about
0.5 ms an event on a quiet 2-core machine). The timeout is therefore sized from the plan's largest
run (one run is all a worker replays), with room for a machine several times slower.
"""

from datetime import timedelta
from typing import TypedDict

from cutover.durations import format_duration
from cutover.markdown import inline
from cutover.plan.history_budget import estimate_history
from cutover.plan.model import Plan
from cutover.text import cut

MIN_TASK_TIMEOUT = timedelta(seconds=4)
MAX_TASK_TIMEOUT = timedelta(seconds=120)  # Temporal's ceiling
REPLAY_PER_EVENT = timedelta(milliseconds=2.5)


def migration_task_timeout(plan: Plan) -> timedelta:
    """The migration's workflow task timeout: MIN_TASK_TIMEOUT, longer when its replay could be."""
    replay = REPLAY_PER_EVENT * estimate_history(plan).largest_run
    return min(MAX_TASK_TIMEOUT, max(MIN_TASK_TIMEOUT, replay))


class StartOptions(TypedDict):
    """What every start of a migration passes (`cutover start`, the demo, a schedule), as **options."""

    task_timeout: timedelta
    static_summary: str
    static_details: str


def migration_start_options(plan: Plan) -> StartOptions:
    return {
        "task_timeout": migration_task_timeout(plan),
        "static_summary": migration_summary(plan),
        "static_details": migration_details(plan),
    }


# The Web UI's "Summary & Details" of a migration, fixed at its start (Temporal's user metadata).
# Temporal caps a summary at 400 bytes and details at 20 KB; the lists are cut well inside both.
SUMMARY_MAX = 200
DETAILS_MAX = 16_000
SERVICES_LISTED = 40
APPROVERS_LISTED = 10


def migration_summary(plan: Plan) -> str:
    """One line in the Workflows list: which plan moves how many services from where to where."""
    services = f"{len(plan.services)} service{'s' if len(plan.services) != 1 else ''}"
    return cut(f"migration {plan.name}: {services}, {plan.source.name} → {plan.target.name}", SUMMARY_MAX)


def migration_details(plan: Plan) -> str:
    """Markdown on the workflow's page: the plan's environments, services, traffic steps and gates;
    free text escaped (cutover.markdown), so no name can break the layout."""
    listed = plan.services[:SERVICES_LISTED]
    rest = len(plan.services) - len(listed)
    services = [f"- {s.name}: {inline(s.workload)} in {s.namespace}, {s.exposure.value}" for s in listed]
    if rest:
        services.append(f"- and {rest} more (query `status`, or `cutover plan show`)")
    lines = "\n".join(
        [
            f"**Plan** {plan.name}: blue {inline(plan.source.name)} → green {inline(plan.target.name)}",
            "",
            f"**Traffic steps** (green %): {', '.join(str(w) for w in plan.traffic.steps)}, "
            f"each baked {format_duration(plan.traffic.bake)}",
            "",
            f"**Services** ({len(plan.services)})",
            "",
            *services,
            "",
            "**Gates**",
            "",
            *(_gate_line(plan, gate) for gate in plan.gate_order()),
            "",
            "Query `status` for where it is now, `status_review` for the review so far.",
        ]
    )
    return cut(lines, DETAILS_MAX)


def _gate_line(plan: Plan, gate: str) -> str:
    if not plan.needs_approval(gate):
        return f"- {gate}: no approval needed"
    people = plan.gates.approvers_of(gate)
    shown = ", ".join(inline(cut(a, 40)) for a in people[:APPROVERS_LISTED]) or "nobody listed"
    more = f" and {len(people) - APPROVERS_LISTED} more" if len(people) > APPROVERS_LISTED else ""
    quorum = plan.gates.quorum_of(gate)
    needed = f"{quorum} distinct approvals" if quorum > 1 else "one approval"
    return f"- {gate}: {needed} from {shown}{more}"
