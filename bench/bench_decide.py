"""Deciding a gate through `cutover approve`, and a storm of signals beside a CPU hog, on a real dev server.

python bench/bench_decide.py

One migration of the demo plan; its uat and traffic-25 gates each get a policy of 50 approvers and a
quorum of all of them, so every approval but a gate's last is answered "approval k of 50" and the
gate stays open. Approvals alternate between two paths, each timed from the call to the answer:
`cutover approve` itself (the CLI's code in this process: connect, the approve Update, its answer)
and the old way, the approve signal and then polling the status every 0.3 s until the approval shows
(0.6's CLI did that for its receipt): 50 each. Each gate's last approval opens it; its time to the
status showing the gate closed is printed too. Then 100 refused decisions (a sender who is no
approver) each way at the next gate, and how many history events each way added.

Then the storm: 2,000 pause/resume signals sent at once while a CPU hog (one busy process) runs
beside the worker; the history says how long the longest workflow task ran (the server's start to
its completion) and whether any task failed, the deadlock detector's "Potential deadlock detected"
among them; the status query is timed throughout.
"""

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_signal_burst import dev_server, task_figures
from click.testing import CliRunner
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from cutover.activities.migration_activities import MigrationActivities
from cutover.cli.main import cli
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
STORM = 2000


async def status(handle: WorkflowHandle) -> MigrationStatus:
    found: MigrationStatus = await handle.query(MigrationWorkflow.status)
    return found


async def by_cli(handle: WorkflowHandle, address: str, gate: str, sender: str) -> float:
    args = ["approve", handle.id, "--gate", gate, "--as", sender, "--address", address]
    started = time.perf_counter()
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    took = time.perf_counter() - started
    if result.exit_code != 0:
        raise RuntimeError(f"cutover approve failed: {result.output}")
    return took


async def by_signal(handle: WorkflowHandle, gate: str, sender: str) -> float:
    started = time.perf_counter()
    await handle.signal(MigrationWorkflow.approve, GateDecision(gate=gate, sender=sender))
    while (found := (await status(handle)).open_gate) is not None and sender not in found.approved_by:
        await asyncio.sleep(POLL_S)
    return time.perf_counter() - started


async def history_length(handle: WorkflowHandle) -> int:
    return len((await handle.fetch_history()).events)


def figures(label: str, seconds: list[float]) -> tuple[float, float]:
    p50, worst = statistics.median(seconds), max(seconds)
    print(f"{label:>22}: {len(seconds)} decisions, p50 {p50 * 1000:7.1f} ms, max {worst * 1000:7.1f} ms")
    return p50, worst


async def open_gate(handle: WorkflowHandle, gate: str) -> None:
    while (found := (await status(handle)).open_gate) is None or found.name != gate:
        await asyncio.sleep(0.2)


async def storm(handle: WorkflowHandle) -> tuple[float, float]:
    """2,000 signals at once beside a CPU hog; the slowest status answer meanwhile, and the time until
    the last signal shows."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    slowest = 0.0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal slowest
        while not done.is_set():
            started = time.perf_counter()
            await status(handle)
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    try:
        await asyncio.gather(
            *(
                handle.signal("pause" if n % 2 == 0 else "resume", {"sender": f"bot-{n % 3}"})
                for n in range(STORM)
            )
        )
        await handle.signal("pause", {"sender": "storm-end"})
        while not any(e.actor == "storm-end" for e in (await status(handle)).timeline):
            await asyncio.sleep(0.1)
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        await watcher
        hog.kill()
    return slowest, elapsed


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
    address = env.client.service_client.config.target_host
    by_cli_s: list[float] = []
    by_signal_s: list[float] = []
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
                    if (n + number) % 2 == 0:
                        by_cli_s.append(await by_cli(handle, address, gate, person))
                    else:
                        by_signal_s.append(await by_signal(handle, gate, person))
                started = time.perf_counter()
                by_cli_s.append(await by_cli(handle, address, gate, people[-1]))
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
            slowest_status, storm_s = await storm(handle)
            _, most, longest, failed = await task_figures(handle)
            await handle.terminate("benchmark done")
    finally:
        await env.shutdown()
    cli_p50, cli_max = figures("cutover approve", by_cli_s)
    figures("signal + status polling", by_signal_s)
    print(f"a gate's last approval to the gate seen opened: {', '.join(f'{o:.3f}' for o in opened)} s")
    refused_by_update, refused_by_signal = after_updates - before, after_signals - after_updates
    print(
        f"{REFUSED} refused decisions: {refused_by_update} history events as Updates, "
        f"{refused_by_signal} as signals"
    )
    deadlocks = sum("deadlock" in reason.lower() for reason in failed)
    print(
        f"storm: {STORM} signals beside a CPU hog, all shown in {storm_s:.2f} s; the fullest task took "
        f"{most}, "
        f"the longest ran {longest:.0f} ms; slowest status answer {slowest_status * 1000:.0f} ms"
    )
    for reason in sorted(set(failed)):
        print(f"failed task ({failed.count(reason)}x): {reason}")
    print(
        f"RESULT approve_answer_p50_s={cli_p50:.3f} approve_answer_max_s={cli_max:.3f} "
        f"refused_events_per_100={refused_by_update} storm_max_task_ms={longest:.0f} deadlocks={deadlocks}"
    )


if __name__ == "__main__":
    asyncio.run(main())
