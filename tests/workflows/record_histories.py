"""Record replay fixtures: `python -m tests.workflows.record_histories RELEASE` (e.g. 0.8).

Runs one approved migration and one rolled back at 25% on the time-skipping server and writes
the parent's history, one child history per kind (CronJob, Deployment), a lease keeper's and a
workload lease's history and (from 0.6) the rolled-back migration's first analysis group to histories/.
Run it before changing released workflow code, so test_replay proves the change is safe.
"""

import asyncio
import json
import sys
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cutover.leases import keeper_id, planned_workloads
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.search_attribute_registration import register_search_attributes
from tests.conftest import binary
from tests.workflows.helpers import migration

HISTORIES = Path(__file__).parent / "histories"
CHILDREN = {"cronjob": "nightly-invoices", "deployment": "email-worker"}


async def save(handle: WorkflowHandle[Any, Any], name: str) -> None:
    history = await handle.fetch_history()
    record = {"workflow_id": handle.id, "history": json.loads(history.to_json())}
    (HISTORIES / f"{name}.json").write_text(json.dumps(record))
    print(f"wrote {name}.json ({len(history.events)} events)")


async def record(version: str) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=binary("temporal-test-server"),
    )
    await register_search_attributes(env.client)
    try:
        with TemporaryDirectory() as tmp:
            async with migration(env, Path(tmp)) as h:
                await h.run_approving_all()
                await save(h.handle, f"migration_{version}_succeeded")
                for kind, service in CHILDREN.items():
                    child = env.client.get_workflow_handle(f"{h.handle.id}/{service}")
                    await save(child, f"service_{version}_{kind}")
                keeper = env.client.get_workflow_handle(keeper_id(h.handle.id, "source"))
                await save(keeper, f"leases_{version}_keeper")
                lease = planned_workloads(h.plan, h.plan.source.name)[0].lease_id
                await save(env.client.get_workflow_handle(lease), f"leases_{version}_workload")
        with TemporaryDirectory() as tmp:
            async with migration(env, Path(tmp), failures={"green_error_from_weight": 25}) as h:
                await h.run_approving_all()
                await save(h.handle, f"migration_{version}_rolled_back_at_25")
                group = env.client.get_workflow_handle(f"{h.handle.id}/analysis-0")
                await save(group, f"group_{version}_rolled_back_at_25")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1]))
