"""How large a plan's migration's workflow runs grow, in events and bytes, checked before it starts.

Temporal terminates a run whose history passes 51,200 events or 50 MB, with no rollback and no
review; this project bounds every run at RUN_EVENT_LIMIT events and RUN_BYTE_LIMIT bytes. A migration
continues as new between units of work (cutover.workflows.carry) until its first bake; from there
to the end of monitoring its traffic steps run in one run, beside analysis groups that continue as new
every LOOKS_PER_RUN looks. So what a plan can overflow is: one unit (a non-exposed batch's children),
the traffic run (steps x groups, and the groups' reports), and a group's run (looks x services). The
figures match what the workflows record (tests/workflows/test_history_budget.py).
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from cutover.models import WorkloadKind
from cutover.plan.checks import Stage
from cutover.plan.look_schedule import look_schedule
from cutover.plan.model import Exposure, InconclusiveAction, Plan, may_be_exposed
from cutover.plan.steps import StepKind, step_sequence

RUN_EVENT_LIMIT = 10_240  # this project's bound per run (Temporal's: 51,200 events, 50 MB)
RUN_BYTE_LIMIT = 10 * 1024 * 1024
RUN_EVENTS = 4_000  # a run before the first bake hands over past this, at its next unit boundary
# The sizes the workflows are cut to, owned here so the estimate and the workflows cannot drift apart.
GROUP_SIZE = 25  # exposed services per analysis group (cutover.workflows.analysis_group)
LOOKS_PER_RUN = 250  # a group's looks per run: about 11 events and 6 KB each
COPIES_AT_ONCE = 20  # exposed copies deployed together: one unit (cutover.workflows.phases)
PAGE_EVENTS = 400  # timeline events in one journal page (cutover.workflows.journal): well under 512 KB
FLUSH_AT = 100  # unstored timeline events that make a unit boundary store a journal page
EVENTS_PER_ACTIVITY = 6  # scheduled, started, completed + the workflow task that follows
EVENTS_PER_CHILD = 9  # initiated, started, completed + the workflow tasks after the last two
EVENTS_PER_TIMER = 5  # started, fired + the workflow task that follows
EVENTS_PER_GATE = 8  # a timeout timer, the approval signal and their workflow tasks
EVENTS_PER_APPROVAL = 5  # each further approval a gate's quorum needs: its signal or Update, a task
EVENTS_PER_LOOK = EVENTS_PER_TIMER + EVENTS_PER_ACTIVITY
# Before each unit the migration asks whether a change freeze holds it (a local activity): its marker
# and, now and then, a workflow task of its own.
EVENTS_PER_UNIT = 2
PHASE_UNITS = 5  # entering each phase is a unit of its own
EVENTS_PER_GROUP_STEP = 10  # the order signalled to a group, its report, their workflow tasks
FIXED_EVENTS = 100  # start, search attributes, leases taken and given back, the review
GROUP_FIXED_EVENTS = 10
# Bytes, measured on recorded runs: a service's evidence in a group's report, one service's counts
# in a look (asked and answered), a discovered workload.
REPORT_BYTES_PER_SERVICE = 1_500
LOOK_BYTES_PER_SERVICE = 400
WORKLOAD_BYTES = 300
LINE_BYTES = 200  # a timeline line in a journal page
PAYLOAD_LIMIT = 512 * 1024  # this project's bound on one payload (Temporal's: 2 MB)
# What one run hands the next (the plan and cutover.workflows.carry), measured at 1,000 services:
# per service, its plan entry and about 1.6 times that again (the workload discovered, without
# defaults, its part of the undo set and weights); then the status's carried events and decisions.
CARRY_PER_PLAN_BYTE = 2.6
CARRY_FIXED_BYTES = 80_000
EVENT_BYTES = 250  # an event without a payload of note


def _rounds(total: timedelta, interval: timedelta) -> int:
    return max(1, math.ceil(total / interval))


def undecided_count(plan: Plan) -> int:
    """Services whose exposure is left to discovery and could be exposed (not CronJobs)."""
    return sum(
        1
        for s in plan.services
        if s.exposure == Exposure.DISCOVER and s.workload_kind != WorkloadKind.CRONJOB
    )


def worst_case_exposure(plan: Plan) -> dict[str, bool]:
    """Declared exposed services, and every one left to discovery that could be exposed."""
    return {s.name: may_be_exposed(s) for s in plan.services}


def _replicated(plan: Plan) -> int:
    """Services whose blue workload has replicas to scale down (Deployments and StatefulSets)."""
    kinds = (WorkloadKind.DEPLOYMENT, WorkloadKind.STATEFULSET)
    return sum(1 for s in plan.services if s.workload_kind in kinds)


def exposed_count(plan: Plan) -> int:
    return sum(worst_case_exposure(plan).values())


@dataclass(frozen=True)
class RunEstimate:
    events: int
    bytes: int


@dataclass(frozen=True)
class HistoryEstimate:
    """The migration's events by the part of the plan that drives them, and its largest runs."""

    parts: dict[str, int]  # the parent's events, over all its runs
    runs: dict[str, RunEstimate]  # the largest run of each kind: "unit", "traffic", "group"

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    @property
    def largest_run(self) -> int:
        return max(run.events for run in self.runs.values())

    def over(self) -> list[tuple[str, RunEstimate]]:
        return [
            (kind, run)
            for kind, run in self.runs.items()
            if run.events > RUN_EVENT_LIMIT or run.bytes > RUN_BYTE_LIMIT
        ]


def estimate_history(plan: Plan) -> HistoryEstimate:
    """Counted from the steps `plan show` lists, for the worst-case exposure."""
    exposed = exposed_count(plan)
    children = len(plan.services) - exposed
    groups = math.ceil(exposed / GROUP_SIZE)
    sequence = step_sequence(plan, worst_case_exposure(plan))
    steps = sum(1 for s in sequence if s.kind is StepKind.TRAFFIC)
    gates = sum(1 for s in sequence if s.approval)
    rounds = _rounds(plan.parallel_operation.duration, plan.parallel_operation.health_check_interval)
    interval = plan.analysis.interval
    bakes = 2 if plan.analysis.on_inconclusive is InconclusiveAction.EXTEND else 1
    looks = steps * bakes * look_schedule(plan.traffic.bake, interval).count + (
        look_schedule(plan.monitoring.window, interval).count
    )
    copies = math.ceil(exposed / COPIES_AT_ONCE)
    watches = steps + 1  # the traffic steps' bakes and monitoring
    # Journal pages: the timeline before the traffic (a line per workload discovered and migrated),
    # then a page per watch (a line per exposed service's decision).
    lines = 2 * len(plan.services) + math.ceil(children / max(1, plan.non_exposed.batch_size))
    quorums = sum(plan.gates.quorum_of(gate) - 1 for gate in plan.gates.policies if plan.needs_approval(gate))
    traffic = steps * (EVENTS_PER_ACTIVITY + groups * EVENTS_PER_GROUP_STEP) + EVENTS_PER_GATE * gates
    traffic += EVENTS_PER_APPROVAL * quorums
    traffic += watches * math.ceil(exposed / PAGE_EVENTS) * EVENTS_PER_ACTIVITY
    traffic += _check_events(plan, watches)
    traffic += (steps + gates + PHASE_UNITS) * EVENTS_PER_UNIT
    batches = math.ceil(children / max(1, plan.non_exposed.batch_size))
    parts = {
        "services": FIXED_EVENTS
        + (batches + copies) * EVENTS_PER_UNIT
        + EVENTS_PER_CHILD * children
        + 2 * EVENTS_PER_ACTIVITY * exposed
        + copies
        + math.ceil(lines / FLUSH_AT) * EVENTS_PER_ACTIVITY,
        "parallel_operation": rounds * (EVENTS_PER_TIMER + EVENTS_PER_ACTIVITY + EVENTS_PER_UNIT),
        "traffic": traffic + groups * EVENTS_PER_CHILD,
    }
    if plan.monitoring.decommission:  # its gate is counted with the others; then blue's scale-down
        parts["decommission"] = EVENTS_PER_ACTIVITY * math.ceil(_replicated(plan) / COPIES_AT_ONCE)
    largest_unit = max(
        min(plan.non_exposed.batch_size, children) * EVENTS_PER_CHILD,
        COPIES_AT_ONCE * 2 * EVENTS_PER_ACTIVITY,
        EVENTS_PER_TIMER + EVENTS_PER_ACTIVITY,
    )
    reports = watches * groups * min(GROUP_SIZE, exposed) * REPORT_BYTES_PER_SERVICE
    group_looks = min(looks, LOOKS_PER_RUN)
    before_traffic = min(parts["services"] + parts["parallel_operation"], RUN_EVENTS + largest_unit)
    runs = {
        "unit": RunEstimate(
            before_traffic,
            before_traffic * EVENT_BYTES + len(plan.services) * WORKLOAD_BYTES + lines * LINE_BYTES,
        ),
        "traffic": RunEstimate(
            before_traffic + parts["traffic"],
            parts["traffic"] * EVENT_BYTES
            + reports
            + len(plan.services) * WORKLOAD_BYTES
            + watches * exposed * LINE_BYTES,
        ),
        "group": RunEstimate(
            GROUP_FIXED_EVENTS + group_looks * EVENTS_PER_LOOK + watches * EVENTS_PER_ACTIVITY,
            group_looks * (EVENTS_PER_LOOK * EVENT_BYTES + min(GROUP_SIZE, exposed) * LOOK_BYTES_PER_SERVICE)
            + watches * min(GROUP_SIZE, exposed) * REPORT_BYTES_PER_SERVICE,
        ),
    }
    return HistoryEstimate(parts, runs)


def _check_events(plan: Plan, watches: int) -> int:
    """The traffic run's checks: an activity per check at each step it runs at, and for continuous
    checks a child per watch (its looks are in its own history, continued as new)."""
    runs = 0
    continuous = False
    for check in plan.checks:
        continuous = continuous or check.continuous
        if not check.continuous and Stage.TRAFFIC_STEP in check.stages:
            runs += len(check.weights or plan.traffic.steps)
        if not check.continuous:
            runs += sum(1 for stage in (Stage.FINAL, Stage.MONITORING) if stage in check.stages)
    return runs * EVENTS_PER_ACTIVITY + (watches * (EVENTS_PER_CHILD + 3) if continuous else 0)


def carry_bytes(plan: Plan) -> int:
    """About how large the input of a run the migration continues as new is."""
    services = sum(len(service.model_dump_json()) for service in plan.services)
    return CARRY_FIXED_BYTES + round(CARRY_PER_PLAN_BYTE * services)


def history_problems(plan: Plan) -> list[str]:
    """A 'field: problem' line for each kind of run that would outgrow the bound of a run."""
    advice = {
        "unit": "lower non_exposed.batch_size",
        "traffic": "split the services into several plans, or use fewer traffic steps",
        "group": "raise analysis.interval",
    }
    field = {"unit": "non_exposed", "traffic": "services", "group": "analysis"}
    problems = []
    for kind, run in estimate_history(plan).over():
        undecided = undecided_count(plan) if kind == "traffic" else 0
        hint = f" (the {undecided} services left to discover count as exposed)" if undecided else ""
        problems.append(
            f"{field[kind]}: one workflow run of the migration would record about {run.events:,} events "
            f"and {run.bytes / 1e6:.1f} MB; a run may record {RUN_EVENT_LIMIT:,} and "
            f"{RUN_BYTE_LIMIT / 1e6:.0f} MB: {advice[kind]}{hint}"
        )
    if (carried := carry_bytes(plan)) > PAYLOAD_LIMIT:
        problems.append(
            f"services: the state one workflow run of the migration hands the next would be about "
            f"{carried / 1024:,.0f} KB; a payload may be {PAYLOAD_LIMIT // 1024} KB: split the services "
            "into several plans"
        )
    return problems
