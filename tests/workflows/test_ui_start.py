"""A plan pasted as JSON into the UI's Start Workflow form runs (plain JSON payload, by type name)."""

import json
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.seed import seed
from cutover.models import MigrationStatus, Phase
from cutover.platform.local_reports import LocalReportStore
from cutover.worker import build_worker
from tests.workflows.helpers import Harness, make_plan


async def test_plan_as_plain_json_by_workflow_type_name(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    local = seed(tmp_path / "local-env.json")
    queue = f"ui-{uuid.uuid4()}"
    ui_json = make_plan(gates={"require": []}).model_dump_json()
    # The UI sends json/plain with the default converter and names the workflow type as text.
    ui_client = Client(time_skipping_env.client.service_client, namespace="default")
    activities = MigrationActivities(
        local, local, local, tmp_path / "reports", LocalReportStore(tmp_path / "reports")
    )
    async with build_worker(time_skipping_env.client, queue, activities):
        handle = await ui_client.start_workflow(
            "MigrationWorkflow", json.loads(ui_json), id=f"ui-{uuid.uuid4()}", task_queue=queue
        )
        harness = Harness(
            time_skipping_env, local, time_skipping_env.client.get_workflow_handle(handle.id), queue
        )
        await harness.until(lambda s: s.phase == Phase.DONE)
        result = await handle.result()
    status = MigrationStatus.model_validate(result)
    assert status.outcome.value == "succeeded", status.outcome_reason
    assert local.read()["routes"] == {"shop/checkout": 100, "shop/catalog": 100}
