"""A whole migration of N services on the time-skipping server: wall time, history size, replay time.

Replay time is what a worker that did not have the migration cached (a restarted one) spends inside
one workflow task before the migration moves again: it must fit the workflow task timeout
(cutover.temporal.start_options).

python bench/bench_migration.py [N ...]     (default: 5 20 50)
"""

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.devserver import temporal_binary
from cutover.models import MigrationStatus
from cutover.plan.history_budget import estimate_history
from cutover.plan.model import Plan, parse_plan
from cutover.platform.local import LocalEnvironment, empty_state, record_cron_snapshot
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.search_attribute_registration import register_search_attributes
from cutover.worker import build_worker
from cutover.workflows.migration import MigrationWorkflow


def environment(path: Path, services: int) -> LocalEnvironment:
    state = empty_state("blue", "green")
    for i in range(services):
        kind = "cronjob" if i % 3 == 0 else "deployment"
        state["clusters"]["blue"][f"apps/{kind}/svc-{i}"] = {
            "replicas": 2,
            "image": f"svc:{i}",
            "exposed": i % 3 == 2,
            "ready": True,
            "suspended": False,
        }
    record_cron_snapshot(state)
    env = LocalEnvironment(path)
    env.create(state)
    return env


def plan_for(services: int) -> Plan:
    return parse_plan(
        {
            "name": "bench",
            "source": {"name": "blue"},
            "target": {"name": "green"},
            "services": [
                {
                    "name": f"svc-{i}",
                    "workload": f"{'cronjob' if i % 3 == 0 else 'deployment'}/svc-{i}",
                    "namespace": "apps",
                }
                for i in range(services)
            ],
            "non_exposed": {"batch_size": 5, "parallelism": 5},
            "gates": {"require": []},
        }
    )


async def run_one(env: WorkflowEnvironment, services: int) -> None:
    folder = Path(tempfile.mkdtemp())
    local = environment(folder / "state.json", services)
    queue = f"bench-{uuid.uuid4()}"
    async with build_worker(env.client, queue, MigrationActivities(local, local, local, folder)):
        started = time.perf_counter()
        handle = await env.client.start_workflow(
            MigrationWorkflow.run, plan_for(services), id=f"bench-{uuid.uuid4()}", task_queue=queue
        )
        while (await handle.query(MigrationWorkflow.status)).phase.value != "done":
            await env.sleep(600)
        status: MigrationStatus = await handle.result()
        elapsed = time.perf_counter() - started
        history = await handle.fetch_history()
    replayer = Replayer(workflows=[MigrationWorkflow], data_converter=DATA_CONVERTER)
    replay_started = time.perf_counter()
    await replayer.replay_workflow(history)
    replay = time.perf_counter() - replay_started
    events = len(history.events)
    print(
        f"{services:4d} services: {elapsed:6.2f} s wall, {events:5d} history events "
        f"(worst-case estimate {estimate_history(plan_for(services)).total}), "
        f"{len(status.timeline):4d} timeline entries, replay {replay:5.2f} s, outcome {status.outcome.value}"
    )


async def main(sizes: list[int]) -> None:
    test_server = str(Path(temporal_binary()).with_name("temporal-test-server"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=test_server
    )
    await register_search_attributes(env.client)
    try:
        for size in sizes:
            await run_one(env, size)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [5, 20, 50]))
