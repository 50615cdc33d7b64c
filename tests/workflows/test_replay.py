"""Released workflow code must replay the histories it wrote; a change needs workflow.patched.

The histories under histories/ were recorded by record_histories.py from each released version in
the supported window (README, "Upgrading"): MigrationWorkflow (a full approved run, a rollback at
25%), ServiceMigrationWorkflow (one CronJob, one Deployment), the lease workflows and (from 0.6)
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
        "migration_0.5_succeeded",
        "migration_0.5_rolled_back_at_25",
        "service_0.5_cronjob",
        "service_0.5_deployment",
        "leases_0.5_keeper",
        "leases_0.5_workload",
        "migration_0.6_succeeded",
        "migration_0.6_rolled_back_at_25",
        "service_0.6_cronjob",
        "service_0.6_deployment",
        "leases_0.6_keeper",
        "leases_0.6_workload",
        "group_0.6_rolled_back_at_25",
        "migration_0.7_succeeded",
        "migration_0.7_rolled_back_at_25",
        "service_0.7_cronjob",
        "service_0.7_deployment",
        "leases_0.7_keeper",
        "leases_0.7_workload",
        "group_0.7_rolled_back_at_25",
    }
