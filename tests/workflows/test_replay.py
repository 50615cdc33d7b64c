"""Released workflow code must replay the histories it wrote; a change needs workflow.patched.

The histories under histories/ were recorded by record_histories.py from each released version in
the supported window (README, "Upgrading"): MigrationWorkflow (a full approved run, a rollback at
25%), ServiceMigrationWorkflow (one CronJob, one Deployment), the lease workflows and (from v8)
an analysis group, as
{"workflow_id", "history"}. If this test fails, the change is not replay-safe: guard it with
workflow.patched and keep these histories.
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from cutover.temporal.payloads import DATA_CONVERTER
from cutover.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    recorded = json.loads(path.read_text())
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_histories_are_present() -> None:
    """The supported window (README, upgrade notes): histories of this release and the one before."""
    assert {p.stem for p in HISTORIES} >= {
        "migration_v7_succeeded",
        "migration_v7_rolled_back_at_25",
        "service_v7_cronjob",
        "service_v7_deployment",
        "leases_v7_keeper",
        "leases_v7_workload",
        "migration_v8_succeeded",
        "migration_v8_rolled_back_at_25",
        "service_v8_cronjob",
        "service_v8_deployment",
        "leases_v8_keeper",
        "leases_v8_workload",
        "group_v8_rolled_back_at_25",
        "migration_v9_succeeded",
        "migration_v9_rolled_back_at_25",
        "service_v9_cronjob",
        "service_v9_deployment",
        "leases_v9_keeper",
        "leases_v9_workload",
        "group_v9_rolled_back_at_25",
    }
