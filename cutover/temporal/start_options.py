"""How long one workflow task of a migration may take: what a worker killed mid-task costs.

Temporal hands a workflow task a dead worker had started to another worker only when the task's
timeout runs out, so a short timeout makes a crash cheap. But a worker that has not cached the
migration (a restarted one) replays the whole history inside one task, and a long history takes
seconds (bench/bench_migration.py: about 0.5 ms an event on a quiet 2-core machine). The timeout is
therefore sized from the plan's largest run (one run is all a worker replays), with room for a
machine several times slower.
"""

from datetime import timedelta

from cutover.plan.history_budget import estimate_history
from cutover.plan.model import Plan

MIN_TASK_TIMEOUT = timedelta(seconds=4)
MAX_TASK_TIMEOUT = timedelta(seconds=120)  # Temporal's ceiling
REPLAY_PER_EVENT = timedelta(milliseconds=2.5)


def migration_task_timeout(plan: Plan) -> timedelta:
    """The migration's workflow task timeout: MIN_TASK_TIMEOUT, longer when its replay could be."""
    replay = REPLAY_PER_EVENT * estimate_history(plan).largest_run
    return min(MAX_TASK_TIMEOUT, max(MIN_TASK_TIMEOUT, replay))
