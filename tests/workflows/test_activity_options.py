"""The activity options (workflows/options.py) are the ones the released workflows scheduled with.

Replay checks which activities run, not their timeouts or retries. So a migration rolled back at
25% and its CronJob child run again here, and every activity they schedule (type, timeouts, retry
policy, in order) must equal the latest recorded history's (0.6: every activity heartbeats within
2 s; traffic moves in one set_weights; the analysis groups look every minute through count_looks).
"""

import json
from pathlib import Path

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from tests.workflows.helpers import migration

HISTORIES = Path(__file__).parent / "histories"


def scheduled(events: list[HistoryEvent]) -> list[tuple[str, str, str, str, str]]:
    """Each scheduled activity as (type, start-to-close, heartbeat, schedule-to-close, retry policy)."""
    found = []
    for event in events:
        if not event.HasField("activity_task_scheduled_event_attributes"):
            continue
        a = event.activity_task_scheduled_event_attributes
        found.append(
            (
                a.activity_type.name,
                a.start_to_close_timeout.ToJsonString(),
                a.heartbeat_timeout.ToJsonString(),
                a.schedule_to_close_timeout.ToJsonString(),
                str(a.retry_policy).replace("\n", " "),
            )
        )
    return found


def recorded(name: str) -> list[tuple[str, str, str, str, str]]:
    record = json.loads((HISTORIES / f"{name}.json").read_text())
    return scheduled(list(WorkflowHistory.from_json(record["workflow_id"], record["history"]).events))


async def test_activities_are_scheduled_as_recorded(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, failures={"green_error_from_weight": 25}) as h:
        await h.run_approving_all()
        parent = await h.handle.fetch_history()
        child = await time_skipping_env.client.get_workflow_handle(
            f"{h.handle.id}/nightly-invoices"
        ).fetch_history()
        group = await time_skipping_env.client.get_workflow_handle(
            f"{h.handle.id}/analysis-0"
        ).fetch_history()

    expected = recorded("migration_0.6_rolled_back_at_25")
    assert {kind for kind, *_ in expected} >= {
        "await_leases",
        "prepare_target",
        "set_weights",
        "remove_copies",
        "hand_over_cron",
        "await_released",
    }
    assert scheduled(list(parent.events)) == expected
    assert scheduled(list(child.events)) == recorded("service_0.6_cronjob")
    assert scheduled(list(group.events)) == recorded("group_0.6_rolled_back_at_25")
