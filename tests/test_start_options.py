"""A migration's workflow task timeout: short, so a killed worker costs seconds, yet long enough to
replay the plan's largest run on a slow machine."""

from cutover.demo.run import demo_plan
from cutover.plan.history_budget import estimate_history
from cutover.temporal.start_options import (
    MAX_TASK_TIMEOUT,
    MIN_TASK_TIMEOUT,
    REPLAY_PER_EVENT,
    migration_task_timeout,
)
from tests.workflows.helpers import make_plan


def many_services(count: int) -> list[dict[str, str]]:
    return [
        {"name": f"svc-{i}", "workload": f"deployment/svc-{i}", "namespace": "apps"} for i in range(count)
    ]


def test_a_small_plan_gets_the_short_timeout() -> None:
    assert migration_task_timeout(demo_plan()) == MIN_TASK_TIMEOUT


def test_a_long_history_gets_room_to_replay() -> None:
    plan = make_plan(services=many_services(200))
    timeout = migration_task_timeout(plan)
    assert MIN_TASK_TIMEOUT < timeout < MAX_TASK_TIMEOUT
    assert timeout == REPLAY_PER_EVENT * estimate_history(plan).largest_run
