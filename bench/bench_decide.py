"""Deciding a gate: the approve Update against the old signal-plus-receipt path, on a real dev server.

python bench/bench_decide.py

One migration of the demo plan; its uat and traffic-25 gates each get a policy of 50 approvers and a
quorum of all of them, so every approval but a gate's last is answered "approval k of 50" and the
gate stays open. Approvals alternate between the two paths the CLI has had, each timed from the call
to the answer: the Update (`cutover approve` now: execute_update, answered by the workflow) and the
signal, then polling the status query for its receipt (0.6's `cutover approve`): 50 each way. Each
gate's last approval opens it; its time to the status showing the gate closed is printed too. Then
100 refused decisions (a sender who is no approver) each way at the next gate, and how many history
events each way added.
"""

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench_signal_burst import dev_server
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.run import local_demo_plan
from cutover.demo.seed import seed
from cutover.models import GateDecision, MigrationStatus
from cutover.plan.model import parse_plan
from cutover.platform.local_reports import LocalReportStore
from cutover.worker import build_worker
from cutover.workflows.migration import MigrationWorkflow

GATES = ("uat", "traffic-25")
PEOPLE = 50  # a gate's approvers at most (cutover.plan.model.MAX_APPROVERS)
POLL_S = 0.3  # the old CLI's status poll (cutover.cli.signal_sending.POLL_SECONDS in 0.6)
REFUSED = 100


async def status(handle: WorkflowHandle) -> MigrationStatus:
    found: MigrationStatus = await handle.query(MigrationWorkflow.status)
    return found


async def by_update(handle: WorkflowHandle, gate: str, sender: str) -> float:
    started = time.perf_counter()
    await handle.execute_update(MigrationWorkflow.approve_update, GateDecision(gate=gate, sender=sender))
    return time.perf_counter() - started


async def by_signal(handle: WorkflowHandle, gate: str, sender: str) -> float:
    started = time.perf_counter()
    request = uuid.uuid4().hex
    await handle.signal(MigrationWorkflow.approve, GateDecision(gate=gate, sender=sender, request_id=request))
    while (await status(handle)).receipt(request) is None:
        await asyncio.sleep(POLL_S)
    return time.perf_counter() - started


async def history_length(handle: WorkflowHandle) -> int:
    return len((await handle.fetch_history()).events)


def figures(label: str, seconds: list[float]) -> tuple[float, float]:
    p50, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
    print(f"{label:>18}: {len(seconds)} decisions, p50 {p50:7.1f} ms, max {worst:7.1f} ms")
    return p50, worst


async def open_gate(handle: WorkflowHandle, gate: str) -> None:
    while (found := (await status(handle)).open_gate) is None or found.name != gate:
        await asyncio.sleep(0.2)


async def main() -> None:
    env = await dev_server()
    folder = Path(tempfile.mkdtemp())
    local = seed(folder / "local-env.json")
    queue = f"decide-{uuid.uuid4()}"
    people = [f"approver-{n}" for n in range(PEOPLE)]
    data = local_demo_plan().model_dump(mode="json")
    policy = {"approvers": people, "min_approvals": PEOPLE}
    data["gates"] |= {"approvers": people, "policies": {gate: policy for gate in GATES}}
    plan = parse_plan(data)
    updates: list[float] = []
    signals: list[float] = []
    opened: list[float] = []
    try:
        activities = MigrationActivities(local, local, local, folder, LocalReportStore(folder))
        async with build_worker(env.client, queue, activities):
            handle = await env.client.start_workflow(
                MigrationWorkflow.run, plan, id=f"decide-{uuid.uuid4()}", task_queue=queue
            )
            for number, gate in enumerate(GATES):
                await open_gate(handle, gate)
                for n, person in enumerate(people[:-1]):
                    by_update_now = (n + number) % 2 == 0
                    took = await (by_update if by_update_now else by_signal)(handle, gate, person)
                    (updates if by_update_now else signals).append(took)
                started = time.perf_counter()
                updates.append(await by_update(handle, gate, people[-1]))
                while (await status(handle)).open_gate is not None:
                    await asyncio.sleep(0.01)
                opened.append(time.perf_counter() - started)
            await open_gate(handle, "full-cutover")
            refusal = GateDecision(gate="full-cutover", sender="mallory")
            before = await history_length(handle)
            for _ in range(REFUSED):
                try:
                    await handle.execute_update(MigrationWorkflow.approve_update, refusal)
                except WorkflowUpdateFailedError:
                    pass
            after_updates = await history_length(handle)
            for _ in range(REFUSED):
                await handle.signal(MigrationWorkflow.approve, refusal)
            after_signals = await history_length(handle)
            await handle.terminate("benchmark done")
    finally:
        await env.shutdown()
    update_p50, update_max = figures("update", updates)
    signal_p50, signal_max = figures("signal + receipt", signals)
    gate_ms = max(opened) * 1000
    print(
        f"a gate's last approval to the gate seen opened: {', '.join(f'{o * 1000:.1f}' for o in opened)} ms"
    )
    refused_by_update, refused_by_signal = after_updates - before, after_signals - after_updates
    print(
        f"{REFUSED} refused decisions: {refused_by_update} history events as Updates, "
        f"{refused_by_signal} as signals"
    )
    print(
        f"RESULT update_p50_ms={update_p50:.1f} update_max_ms={update_max:.1f} "
        f"signal_p50_ms={signal_p50:.1f} signal_max_ms={signal_max:.1f} gate_open_max_ms={gate_ms:.1f} "
        f"refused_update_events={refused_by_update} refused_signal_events={refused_by_signal}"
    )


if __name__ == "__main__":
    asyncio.run(main())
