"""Abort to blue: how long after the `abort` signal traffic is back at blue, in every phase, on a real
dev server, including aborts that land while an activity or child workflow is in flight.

python bench/bench_abort.py [--runs N] [--phases deploy,traffic-bake,...]     (default: 5 runs each)

Each run seeds a fresh local environment, starts a demo-shop migration on its own task queue, approves
gates as the demo approver until the abort point, sends `abort` and watches the local environment's
routes every POLL seconds. abort_to_blue ends when every route is back at 0% green; where green never
had traffic (the phases before validation) it ends when the rollback finished (the timeline's last
rollback event, written when the last undo returned). abort_to_end ends when the workflow's result
(after leases and the review) is back. For runs with green traffic the history gives the server's view
too: from the abort signal's event to the completion of the last `set_green_percent` undo.

The plan is local_demo_plan() but for the one timing that governs the step the abort must land in (30 s
bakes, a 30 s parallel operation, a 60 s monitoring window): lengthening every timing would only
make the bench wait longer to reach the later phases, and a timer's length has no bearing on how
fast an abort cancels it.
"""

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.devserver import temporal_binary
from cutover.demo.run import DEMO_APPROVER, local_demo_plan
from cutover.demo.seed import GREEN, seed
from cutover.logs import configure_logging
from cutover.models import Control, EventKind, GateDecision, MigrationStatus, Outcome, Phase
from cutover.plan.model import Plan
from cutover.platform.local import LocalEnvironment
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.worker import build_worker
from cutover.workflows.migration import MigrationWorkflow
from cutover.workflows.search_attributes import SEARCH_ATTRIBUTES

SENDER, REASON = "bench", "abort latency"
POLL = 0.02  # seconds between looks at the status and at the routes
RUN_LIMIT = 120.0  # seconds per run, reaching the abort point included: a hang is reported, not waited out
LONG = {"bake": timedelta(seconds=30), "parallel": timedelta(seconds=30), "window": timedelta(seconds=60)}

Reached = Callable[[MigrationStatus, LocalEnvironment], bool]
Handle = WorkflowHandle[MigrationWorkflow, MigrationStatus]


@dataclass(frozen=True)
class Case:
    """Where the abort lands: the failure that holds the step, how to see it is reached, its phase."""

    reached: Reached
    phase: Phase
    failures: dict[str, object] = field(default_factory=dict)
    longer: str | None = None  # the LONG timing the step needs
    hold_writes: bool = False  # no wait in the step: hold the state file's lock so the abort lands in it


def _step(prefix: str) -> Reached:
    return lambda status, _: status.step.startswith(prefix)


def _cron_enabled_in(envs: list[str]) -> Reached:
    return lambda _, local: local.cron_enabled_in("billing", "nightly-invoices") == envs


CASES: dict[str, Case] = {
    "deploy": Case(lambda s, _: s.phase == Phase.NON_EXPOSED, Phase.NON_EXPOSED, hold_writes=True),
    "rollout-wait": Case(_step("wait for checkout to roll out"), Phase.PARALLEL, {"never_ready": "checkout"}),
    "cronjob-drain": Case(_cron_enabled_in([]), Phase.NON_EXPOSED, {"jobs_running": "nightly-invoices"}),
    "first-run-wait": Case(_cron_enabled_in([GREEN]), Phase.NON_EXPOSED, {"run_pending": "nightly-invoices"}),
    "parallel-bake": Case(_step("bake side by side"), Phase.PARALLEL, longer="parallel"),
    "traffic-gate": Case(
        lambda s, _: s.open_gate is not None and s.open_gate.name == "traffic-25", Phase.VALIDATION
    ),
    "traffic-bake": Case(_step("bake at 25%"), Phase.VALIDATION, longer="bake"),
    "monitoring": Case(_step("intensive monitoring"), Phase.FULL_CUTOVER, longer="window"),
}


@dataclass
class Run:
    to_blue: float = 0.0
    to_end: float = 0.0
    via_timeline: bool = False  # green never had traffic: to_blue is to the rollback's end
    server: float | None = None  # history: abort signal event -> last set_green_percent undo completed
    error: str = ""


def plan_for(case: Case) -> Plan:
    """The demo plan, with the timing of the abort's step lengthened so the abort surely finds it there."""
    plan = local_demo_plan()
    if case.longer == "bake":
        return plan.model_copy(update={"traffic": plan.traffic.model_copy(update={"bake": LONG["bake"]})})
    if case.longer == "parallel":
        parallel = plan.parallel_operation.model_copy(update={"duration": LONG["parallel"]})
        return plan.model_copy(update={"parallel_operation": parallel})
    if case.longer == "window":
        monitoring = plan.monitoring.model_copy(update={"window": LONG["window"]})
        return plan.model_copy(update={"monitoring": monitoring})
    return plan


def all_blue(local: LocalEnvironment) -> bool:
    return all(percent == 0 for percent in local.read()["routes"].values())


async def reach(handle: Handle, local: LocalEnvironment, case: Case) -> None:
    """Approve each gate as it opens until the abort point; fail if the migration ends before it."""
    approved: set[str] = set()
    while True:
        status: MigrationStatus = await handle.query(MigrationWorkflow.status)
        if case.reached(status, local):
            return
        if status.outcome != Outcome.RUNNING or status.phase == Phase.DONE:
            raise RuntimeError(f"the migration ended before the abort point: {status.outcome_reason}")
        gate = status.open_gate
        if gate is not None and gate.name not in approved:
            approved.add(gate.name)
            await handle.signal(MigrationWorkflow.approve, GateDecision(gate=gate.name, sender=DEMO_APPROVER))
        await asyncio.sleep(POLL)


async def route_undo_lag(handle: Handle) -> float | None:
    """The server's clock: the abort signal's event to the completion of the last route undo."""
    signalled = last = None
    scheduled: dict[int, str] = {}
    async for event in handle.fetch_history_events():
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            if event.workflow_execution_signaled_event_attributes.signal_name == "abort":
                signalled = event.event_time.ToDatetime()
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and signalled is not None:
            scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes.scheduled_event_id
            if scheduled.get(done) == "set_green_percent":
                last = event.event_time.ToDatetime()
    return (last - signalled).total_seconds() if signalled and last else None


async def abort_and_watch(handle: Handle, local: LocalEnvironment, case: Case) -> Run:
    """Reach the step, abort, and time the routes' return to blue and the workflow's result."""
    hold: AbstractContextManager[object] = local.locked() if case.hold_writes else nullcontext()
    with hold:
        await reach(handle, local, case)
        green = not all_blue(local)
        wall0, t0 = time.time(), time.monotonic()
        await handle.signal(MigrationWorkflow.abort, Control(sender=SENDER, reason=REASON))
    result_task = asyncio.ensure_future(handle.result())
    t_blue = None
    try:
        while not result_task.done():
            if green and t_blue is None and all_blue(local):
                t_blue = time.monotonic()
            await asyncio.wait({result_task}, timeout=POLL)
    finally:
        result_task.cancel()  # a no-op once done; on timeout it stops the long poll
    t_end = time.monotonic()
    result: MigrationStatus = result_task.result()
    run = Run(to_end=t_end - t0, via_timeline=not green)
    if green:
        run.to_blue = (t_blue or t_end) - t0
        run.server = await route_undo_lag(handle)
    else:
        ended = [e.time for e in result.timeline if e.kind == EventKind.ROLLBACK]
        run.to_blue = ended[-1].timestamp() - wall0 if ended else run.to_end
    entered = [e.message.removeprefix("entered ") for e in result.timeline if e.kind == EventKind.PHASE]
    problems = [
        f"outcome {result.outcome.value}" if result.outcome != Outcome.ROLLED_BACK else "",
        f"reason {result.outcome_reason!r}"
        if result.outcome_reason != f"aborted by {SENDER}: {REASON}"
        else "",
        f"routes {local.read()['routes']}" if not all_blue(local) else "",
        f"phases entered last {entered[-2:]}" if entered[-2:] != [case.phase, Phase.ROLLING_BACK] else "",
    ]
    run.error = "; ".join(p for p in problems if p)
    return run


async def measure(client: Client, name: str, case: Case) -> Run:
    """One migration on its own task queue and environment, bounded by RUN_LIMIT."""
    with tempfile.TemporaryDirectory(prefix="bench-abort-") as tmp:
        return await _measure_in(client, name, case, Path(tmp))


async def _measure_in(client: Client, name: str, case: Case, folder: Path) -> Run:
    local = seed(folder / "local-env.json", case.failures)
    queue = f"bench-abort-{uuid.uuid4()}"
    async with build_worker(client, queue, MigrationActivities(local, local, local, folder / "reports")):
        handle = await client.start_workflow(
            MigrationWorkflow.run, plan_for(case), id=f"bench-abort-{name}-{uuid.uuid4()}", task_queue=queue
        )
        try:
            return await asyncio.wait_for(abort_and_watch(handle, local, case), RUN_LIMIT)
        except TimeoutError:
            status: MigrationStatus = await handle.query(MigrationWorkflow.status)
            return Run(error=f"no result within {RUN_LIMIT:.0f} s; last step: {status.step}")
        except RuntimeError as error:
            return Run(error=str(error))
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("benchmark run failed")  # its leases end with it (parent-close)
                await asyncio.sleep(2)


def figures(values: list[float]) -> str:
    return f"p50={statistics.median(values):.2f} max={max(values):.2f}"


async def main(runs: int, phases: list[str]) -> None:
    configure_logging(
        json_output=False, level=logging.WARNING
    )  # the migrations' info lines would drown the figures
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=DATA_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    measured: dict[str, list[Run]] = {}
    errors = 0
    try:
        for name in phases:
            measured[name] = []
            for number in range(1, runs + 1):
                run = await measure(env.client, name, CASES[name])
                if run.error:
                    errors += 1
                    print(f"ERROR {name} #{number}: {run.error}", flush=True)
                    continue
                measured[name].append(run)
                server = (
                    f", server signal->last route undo {run.server:.2f}" if run.server is not None else ""
                )
                print(
                    f"  {name} #{number}: abort_to_blue {run.to_blue:.2f} s, abort_to_end {run.to_end:.2f} s"
                    f"{server}",
                    flush=True,
                )
    finally:
        await env.shutdown()
    print()
    for name, done in measured.items():
        if not done:
            print(f"phase {name}: n=0 (every run failed)")
            continue
        blue, end = [r.to_blue for r in done], [r.to_end for r in done]
        servers = [r.server for r in done if r.server is not None]
        note = "  (no green traffic: to_blue is to the rollback's end, per the timeline)"
        if not any(r.via_timeline for r in done):
            note = f"  server signal->last route undo {figures(servers)}" if servers else ""
        print(f"phase {name}: n={len(done)} abort_to_blue {figures(blue)}  abort_to_end {figures(end)}{note}")
    every = [r.to_blue for done in measured.values() for r in done]
    print(f"errors={errors}")
    if not every:
        print("RESULT abort_to_blue_p50_s=nan abort_to_blue_max_s=nan phases=0")
        return
    counted = sum(1 for done in measured.values() if done)
    p50, worst = statistics.median(every), max(every)
    print(f"RESULT abort_to_blue_p50_s={p50:.2f} abort_to_blue_max_s={worst:.2f} phases={counted}")


def arguments() -> tuple[int, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="aborts per phase (default 5)")
    parser.add_argument("--phases", default=",".join(CASES), help=f"comma-separated, of: {', '.join(CASES)}")
    args = parser.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    unknown = [p for p in phases if p not in CASES]
    if unknown or args.runs < 1:
        parser.error(f"unknown phases {unknown}" if unknown else "--runs must be at least 1")
    return args.runs, phases


if __name__ == "__main__":
    asyncio.run(main(*arguments()))
