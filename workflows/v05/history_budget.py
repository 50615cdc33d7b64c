"""The history estimate of 0.5, frozen: the guard of migrations started on 0.5 (cutover.workflows.v05).

Retired with them in 0.7. What follows is 0.5's text.

How many Temporal history events a plan's migration records, checked before it starts.

Temporal terminates a workflow whose history passes 51,200 events: a migration cut off mid-way
runs no rollback. The parent workflow's history grows with the exposed services times the rounds
of its time-driven loops (health checks through parallel operation, analyses through the
monitoring window), so a week-long bake checked every minute would not fit. The figures below
match what the workflow records (see tests/workflows/test_history_budget.py).
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from cutover.plan.look_schedule import look_schedule
from cutover.plan.model import InconclusiveAction, Plan, may_be_exposed
from cutover.plan.steps import StepKind, step_sequence

HISTORY_EVENT_LIMIT = 51_200
# A running migration rolls back by itself once its history passes this size (Temporal's limit: 50 MB).
# Its own events are ~160 bytes each, so even 51,200 of them and two 512 KiB plans stay far below;
# only signals carrying megabytes get here, and the rest of the 50 MB is the rollback's headroom.
HISTORY_SIZE_GUARD = 12 * 1024 * 1024
EVENTS_PER_ACTIVITY = 6  # scheduled, started, completed + the workflow task that follows
EVENTS_PER_CHILD = 9  # initiated, started, completed + the workflow tasks after the last two
EVENTS_PER_TIMER = 5  # started, fired + the workflow task that follows
EVENTS_PER_GATE = 8  # a timeout timer, the approval signal and their workflow tasks
# start, completion, search attribute updates, first workflow task; taking the leases (two keepers
# and the wait for them) and giving them back (a signal to each keeper and its completion)
FIXED_EVENTS = 98
ROLLBACK_MARGIN = 1_000  # events for the review and the rollback's workflow tasks


def _rounds(total: timedelta, interval: timedelta) -> int:
    return max(1, math.ceil(total / interval))


def worst_case_exposure(plan: Plan) -> dict[str, bool]:
    """Declared exposed services, and every one left to discovery that could be exposed."""
    return {s.name: may_be_exposed(s) for s in plan.services}


def exposed_count(plan: Plan) -> int:
    return sum(worst_case_exposure(plan).values())


@dataclass(frozen=True)
class HistoryEstimate:
    """Events by the plan section that drives them."""

    parts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.parts.values())


def estimate_history(plan: Plan) -> HistoryEstimate:
    """Counted from the steps `plan show` lists, for the worst-case exposure."""
    exposed = exposed_count(plan)
    children = len(plan.services) - exposed
    sequence = step_sequence(plan, worst_case_exposure(plan))
    steps = sum(1 for s in sequence if s.kind is StepKind.TRAFFIC and s.weight != 100)
    gates = sum(1 for s in sequence if s.approval)
    health_rounds = _rounds(plan.parallel_operation.duration, plan.parallel_operation.health_check_interval)
    interval = plan.analysis.interval
    # one look (a timer and the batched look activity) per interval of each bake and of monitoring;
    # on_inconclusive extend may bake each step twice
    bakes = (steps + 1) * (2 if plan.analysis.on_inconclusive is InconclusiveAction.EXTEND else 1)
    looks = (
        bakes * look_schedule(plan.traffic.bake, interval).count
        + look_schedule(plan.monitoring.window, interval).count
    )
    per_service_activities = 8 + steps  # deploy, rollout, the weight at each step, checks
    return HistoryEstimate(
        {
            "services": FIXED_EVENTS
            + EVENTS_PER_ACTIVITY * exposed * per_service_activities
            + EVENTS_PER_CHILD * children
            + EVENTS_PER_GATE * gates,
            "parallel_operation": health_rounds * (EVENTS_PER_TIMER + EVENTS_PER_ACTIVITY * 2 * exposed),
            "analysis": looks * (EVENTS_PER_TIMER + EVENTS_PER_ACTIVITY),
            # worst case: every weight change and copy undone at the last moment
            "rollback": EVENTS_PER_ACTIVITY * exposed * (steps + 2),
        }
    )


def history_guard(plan: Plan) -> int:
    """Events after which the migration rolls back by itself: what is left must fit the whole rollback.

    The budget leaves room for signals, but a flood of them could still fill the history; rolling
    back at this mark beats being cut off by Temporal with no rollback and no review.
    """
    return HISTORY_EVENT_LIMIT - estimate_history(plan).parts["rollback"] - ROLLBACK_MARGIN
