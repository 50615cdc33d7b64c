"""Whole migrations of N services on the time-skipping server: every run's history, in events and bytes.

A third of the services are exposed (Deployments), a third non-exposed Deployments, a third CronJobs;
the plan is the default one (steps 5/25/50/100, 30-minute bakes, a look a minute, 2 hours of
monitoring, an hour side by side) with no gates and non-exposed batches of 5. For each size it prints
the outcome, the largest run (events, MB) of each workflow kind, the total events, the largest event
(which bounds the largest payload), the wall time and the bench's peak RSS (the worker runs in it).
With `--soak`, two more migrations of 30 services: a 7-day parallel operation checked every minute,
and a 7-day monitoring window looked at every minute.

python bench/bench_migration.py [N ...] [--soak]     (default: 50 200 1000)

Last line, for the largest size: RESULT services=<n> outcome=<...> max_run_events=<n> max_run_mb=<n>
max_payload_kb=<n> wall_s=<s>
"""

import argparse
import asyncio
import resource
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.devserver import temporal_binary
from cutover.leases import keeper_id
from cutover.models import MigrationStatus
from cutover.plan.history_budget import GROUP_SIZE
from cutover.plan.model import Plan, parse_plan
from cutover.platform.local import LocalEnvironment, empty_state, record_cron_snapshot
from cutover.platform.local_reports import LocalReportStore
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.search_attribute_registration import register_search_attributes
from cutover.worker import build_worker
from cutover.workflows.migration import MigrationWorkflow

KINDS = ("cronjob", "deployment", "deployment")  # i % 3: CronJob, non-exposed, exposed


def environment(path: Path, services: int, prefixes: tuple[str, ...] = ("",)) -> LocalEnvironment:
    """A blue with `services` workloads per prefix (svc-0 ..., or m0-svc-0 ... for several plans)."""
    state = empty_state("blue", "green")
    for prefix in prefixes:
        for i in range(services):
            state["clusters"]["blue"][f"apps/{KINDS[i % 3]}/{prefix}svc-{i}"] = {
                "replicas": 2,
                "image": f"registry.example.com/apps/{prefix}svc-{i}:1.0.{i}",
                "exposed": i % 3 == 2,
                "ready": True,
                "suspended": False,
            }
    record_cron_snapshot(state)
    env = LocalEnvironment(path)
    env.create(state)
    return env


def plan_for(services: int, prefix: str = "", **sections: Any) -> Plan:
    return parse_plan(
        {
            "name": f"{prefix}bench",
            "source": {"name": "blue"},
            "target": {"name": "green"},
            "services": [
                {
                    "name": f"{prefix}svc-{i}",
                    "workload": f"{KINDS[i % 3]}/{prefix}svc-{i}",
                    "namespace": "apps",
                    "exposure": "exposed" if i % 3 == 2 else "non-exposed",
                }
                for i in range(services)
            ],
            "non_exposed": {"batch_size": 5, "parallelism": 5},
            "gates": {"require": []},
            **sections,
        }
    )


@dataclass
class Runs:
    """Every run of every workflow of one migration: (events, bytes, largest event) by kind."""

    by_kind: dict[str, list[tuple[int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    largest_event: dict[str, tuple[int, str]] = field(default_factory=dict)  # by kind: size, type

    def add(self, kind: str, history: WorkflowHistory) -> None:
        sizes = [event.ByteSize() for event in history.events]
        self.by_kind[kind].append((len(sizes), sum(sizes), max(sizes)))
        biggest = max(history.events, key=lambda event: event.ByteSize())
        name = EventType.Name(biggest.event_type).removeprefix("EVENT_TYPE_").lower()
        self.largest_event[kind] = max(self.largest_event.get(kind, (0, "")), (biggest.ByteSize(), name))

    def largest(self) -> tuple[int, int, int]:
        runs = [run for kind in self.by_kind.values() for run in kind]
        return max(r[0] for r in runs), max(r[1] for r in runs), max(r[2] for r in runs)

    def total_events(self) -> int:
        return sum(r[0] for kind in self.by_kind.values() for r in kind)


async def every_run(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """The workflow's runs, latest first, following each run's continued_execution_run_id back."""
    histories, run_id = [], None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return histories
        run_id = started.continued_execution_run_id


async def collect(client: Client, migration_id: str, services: int) -> Runs:
    runs = Runs()
    targets = [("migration", migration_id)]
    targets += [("keeper", keeper_id(migration_id, role)) for role in ("source", "target")]
    targets += [("service", f"{migration_id}/svc-{i}") for i in range(services) if i % 3 != 2]
    groups = -(-len([i for i in range(services) if i % 3 == 2]) // GROUP_SIZE)
    targets += [("analysis group", f"{migration_id}/analysis-{g}") for g in range(groups)]
    targets.append(("lease", "cutover-lease/blue/apps/cronjob/svc-0"))
    for kind, workflow_id in targets:
        for history in await every_run(client, workflow_id):
            runs.add(kind, history)
    return runs


async def run_one(env: WorkflowEnvironment, services: int, label: str, plan: Plan) -> tuple[str, Runs, float]:
    folder = Path(tempfile.mkdtemp())
    local = environment(folder / "state.json", services)
    queue = f"bench-{uuid.uuid4()}"
    async with build_worker(
        env.client, queue, MigrationActivities(local, local, local, folder, LocalReportStore(folder))
    ):
        started = time.perf_counter()
        handle = await env.client.start_workflow(
            MigrationWorkflow.run, plan, id=f"bench-{uuid.uuid4()}", task_queue=queue
        )
        status: MigrationStatus = await handle.result()
        elapsed = time.perf_counter() - started
        runs = await collect(env.client, handle.id, services)
    events, size, payload = runs.largest()
    print(f"{label}: {status.outcome.value} in {elapsed:.1f} s wall, {runs.total_events():,} events in all")
    for kind, kind_runs in sorted(runs.by_kind.items()):
        most_events, most_bytes, largest_event = (max(r[i] for r in kind_runs) for i in range(3))
        print(
            f"    {kind:15s} {len(kind_runs):5d} run(s), largest {most_events:6,d} events "
            f"{most_bytes / 1e6:6.2f} MB, largest event {largest_event / 1e3:6.1f} KB"
            f" ({runs.largest_event[kind][1]})"
        )
    print(
        f"    largest run {events:,} events, {size / 1e6:.2f} MB; largest event {payload / 1e3:.1f} KB; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
    )
    if status.outcome.value != "succeeded":
        print(f"    reason: {status.outcome_reason}")
    return status.outcome.value, runs, elapsed


async def on_own_server(services: int, label: str, plan: Plan) -> tuple[str, Runs, float]:
    """One migration on a time-skipping server of its own: the test server stops skipping time once a
    workflow that continued as new has completed, so a second migration would wait in real time."""
    test_server = str(Path(temporal_binary()).with_name("temporal-test-server"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER, test_server_existing_path=test_server
    )
    try:
        await register_search_attributes(env.client)
        return await run_one(env, services, label, plan)
    finally:
        await env.shutdown()


async def main(sizes: list[int], soak: bool) -> None:
    last: tuple[int, str, Runs, float] | None = None
    if soak:
        week = {"duration": "7d", "health_check_interval": "1m"}
        await on_own_server(30, "30 services, 7 days side by side", plan_for(30, parallel_operation=week))
        monitoring = {"window": "7d"}
        await on_own_server(30, "30 services, 7 days of monitoring", plan_for(30, monitoring=monitoring))
    for size in sizes:
        outcome, runs, wall = await on_own_server(size, f"{size} services", plan_for(size))
        last = (size, outcome, runs, wall)
    if last is not None:
        size, outcome, runs, wall = last
        events, size_bytes, payload = runs.largest()
        print(
            f"RESULT services={size} outcome={outcome} max_run_events={events} "
            f"max_run_mb={size_bytes / 1e6:.2f} max_payload_kb={payload / 1e3:.1f} wall_s={wall:.1f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 200, 1000])
    parser.add_argument("--soak", action="store_true", help="also the two 7-day migrations of 30 services")
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.soak))
