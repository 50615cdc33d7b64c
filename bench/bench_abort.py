"""Abort to blue: how long after the `abort` signal traffic is back at blue, in every phase, on a real
dev server, including aborts that land while an activity or child workflow is in flight.

python bench/bench_abort.py [--runs N] [--phases deploy,traffic-bake,...]     (default: 5 runs each)
python bench/bench_abort.py --services 1,10,50,200 [--runs N] [--router alb]    (fan-out mode)

Each run seeds a fresh local environment, starts a demo-shop migration on its own task queue, approves
gates as the demo approver until the abort point, sends `abort` and watches the local environment's
routes every POLL seconds. abort_to_blue ends when every route is back at 0% green; where green never
had traffic (the phases before validation) it ends when the rollback finished (the timeline's last
rollback event, written when the last undo returned). abort_to_end ends when the workflow's result
(after leases and the review) is back. For runs with green traffic the history gives the server's view
too: from the abort signal's event to the completion of the `set_weights` undo (every service back to blue
in one activity).

The plan is local_demo_plan() but for the one timing that governs the step the abort must land in (30 s
bakes, a 30 s parallel operation, a 60 s monitoring window): lengthening every timing would only
make the bench wait longer to reach the later phases, and a timer's length has no bearing on how
fast an abort cancels it.

With --services the bench measures instead how abort-to-blue grows with the number of exposed
services: per size N, --runs fresh local environments with N exposed Deployments (svc-0 ...) in blue
and a plan for all of them (no gates, a 1 s parallel operation, steps 5/25/100 with a 10 m bake). Once
every route is at 5% it sends `abort` and polls the routes every FANOUT_POLL seconds until all N are
back at 0: the time from just before the signal is one sample. Alongside, as many samples of a bare
signal-to-activity round trip (BareSignalWorkflow, on its own worker and task queue on the same dev
server: a signal, one activity that writes a file the bench polls for) give the floor to compare with.
The last line is `RESULT fanout_50_p50_s=... fanout_50_max_s=... bare_ratio=...` (for the largest
size measured when 50 is not among the sizes).

--router (fan-out mode only) names the worker's TrafficRouter. `local` (the default): the local
environment's routes, as above. `alb`: the production AlbRouter, built by the worker's own wiring
(build_platform), talking over HTTP to a moto server the bench starts in its process as `cutover demo`
does (start_moto_server; boto3 is never patched, its credentials are dummies). Before each run the
moto account is reset and create_alb makes an ALB with one listener rule per exposed service,
forwarding 100/0 to a blue and a green target group; the cluster and the metrics stay the local
environment. "At 5%" and "all at blue" are then read back from the ALB: every ALB_POLL seconds one
describe_rules of the last rule not yet seen at the weight, and once it is there one describe_rules of
all such rules (a rule seen at the weight stays there: the next write is the abort's undo, the one
after it none), so the look weighs little on the moto server the worker's calls share the process
with. Before the RESULT line (same shape) comes `alb: abort to all at blue, N=50: p50 ... s, max ... s`.
"""

import argparse
import asyncio
import json
import logging
import os
import statistics
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.aws import create_alb, exposed_services
from cutover.demo.devserver import temporal_binary
from cutover.demo.motoserver import REGION, MotoServer, moto_environment, start_moto_server
from cutover.demo.run import DEMO_APPROVER, local_demo_plan
from cutover.demo.seed import GREEN, seed
from cutover.logs import configure_logging
from cutover.models import Control, EventKind, GateDecision, MigrationStatus, Outcome, Phase
from cutover.plan.model import Plan, parse_plan
from cutover.platform.aws.config import AlbRoute
from cutover.platform.interfaces import TrafficRouter
from cutover.platform.local import LocalEnvironment, empty_state
from cutover.platform.local_reports import LocalReportStore
from cutover.platform.wiring import AlbConfig, PlatformConfig, build_platform
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
    server: float | None = None  # history: abort signal event -> the set_weights undo completed
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
            if scheduled.get(done) == "set_weights":
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
    async with build_worker(
        client,
        queue,
        MigrationActivities(local, local, local, folder / "reports", LocalReportStore(folder / "reports")),
    ):
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


# --- fan-out: abort to blue against the number of exposed services ------------------------------

FANOUT_POLL = 0.002  # seconds between looks at the routes (and at the bare round trip's file)
ALB_POLL = 0.02  # seconds between looks at the ALB's rules: each is an HTTP call to moto, in this process
ROUTERS = ("local", "alb")
ALB_NAME = "bench"  # create_alb's prefix; unique since the moto account is reset before each run
FANOUT_STEPS = [5, 25, 100]
FANOUT_BAKE = "10m"  # the abort lands while the first step bakes
FANOUT_LIMIT = 300.0  # seconds per run (reaching the first step, the abort, the result)
FANOUT_NAMESPACE = "apps"
FANOUT_BLUE, FANOUT_GREEN = "blue", "green"
BARE_SETTLE = 0.2  # seconds between the bare workflow waiting and the signal: its worker back in its poll


def fanout_environment(path: Path, services: int) -> LocalEnvironment:
    """Blue with `services` exposed, ready Deployments svc-0 ...; green empty."""
    state = empty_state(FANOUT_BLUE, FANOUT_GREEN)
    for i in range(services):
        state["clusters"][FANOUT_BLUE][f"{FANOUT_NAMESPACE}/deployment/svc-{i}"] = {
            "replicas": 2,
            "image": f"svc:{i}",
            "exposed": True,
            "ready": True,
            "suspended": False,
        }
    local = LocalEnvironment(path)
    local.create(state)
    return local


def fanout_plan(services: int) -> Plan:
    return parse_plan(
        {
            "name": "bench-fanout",
            "source": {"name": FANOUT_BLUE},
            "target": {"name": FANOUT_GREEN},
            "services": [
                {
                    "name": f"svc-{i}",
                    "workload": f"deployment/svc-{i}",
                    "namespace": FANOUT_NAMESPACE,
                    "exposure": "exposed",
                }
                for i in range(services)
            ],
            "traffic": {"steps": FANOUT_STEPS, "bake": FANOUT_BAKE},
            "parallel_operation": {"duration": "1s", "health_check_interval": "1s"},
            "gates": {"require": []},
        }
    )


class Watch(Protocol):
    """Where the bench reads the routes back: whether every service is at a weight (polled), and which
    are not (read afresh, for the error message; "" when all are)."""

    poll: float

    async def all_at(self, weight: int) -> bool: ...

    async def off(self, weight: int) -> str: ...


class Routes:
    """The local environment's routes, parsed again only when the state file's bytes changed, so a
    look every few ms costs a read and a comparison, not a JSON parse (each write replaces the file
    whole, so a read never sees half of one)."""

    poll = FANOUT_POLL

    def __init__(self, local: LocalEnvironment, services: int):
        self.local = local
        self.keys = [f"{FANOUT_NAMESPACE}/svc-{i}" for i in range(services)]
        self._raw = b""
        self._routes: dict[str, int] = {}

    async def all_at(self, weight: int) -> bool:
        """Every service's route at weight (a route never set counts as 0)."""
        raw = self.local.path.read_bytes()
        if raw != self._raw:
            self._routes = json.loads(raw)["routes"]
            self._raw = raw
        return all(self._routes.get(key, 0) == weight for key in self.keys)

    async def off(self, weight: int) -> str:
        return "" if await self.all_at(weight) else f"routes {self.local.read()['routes']}"


class AlbWeights:
    """The green weight of each service's ALB rule, read back from moto with describe_rules on a client
    of the bench's own. Between two looks a rule once seen at the weight is not read again (the
    migration writes each rule once per step, and the abort's undo last): a look reads the last rule
    still pending, and only once that one is at the weight all the pending ones, in one call."""

    poll = ALB_POLL

    def __init__(self, elbv2: Any, routes: dict[str, AlbRoute]):
        self.elbv2 = elbv2
        self.routes = routes
        self._weight: int | None = None
        self._pending: list[str] = []  # service keys not yet seen at _weight, in the routes' order

    async def all_at(self, weight: int) -> bool:
        if weight != self._weight:
            self._weight, self._pending = weight, list(self.routes)
        if self._pending and (await self._read(self._pending[-1:])).get(self._pending[-1]) == weight:
            read = await self._read(self._pending)
            self._pending = [key for key in self._pending if read[key] != weight]
        return not self._pending

    async def off(self, weight: int) -> str:
        off = {k: w for k, w in (await self._read(list(self.routes))).items() if w != weight}
        return f"ALB green weights not at {weight}%: {off}" if off else ""

    async def _read(self, keys: list[str]) -> dict[str, int]:
        return await asyncio.to_thread(self._read_now, keys)

    def _read_now(self, keys: list[str]) -> dict[str, int]:
        """key -> green percent, as AlbRouter.green_percent reads a rule's forward action."""
        by_rule = {self.routes[key].rule_arn: key for key in keys}
        green: dict[str, int] = {}
        for rule in self.elbv2.describe_rules(RuleArns=list(by_rule))["Rules"]:
            key = by_rule[rule["RuleArn"]]
            forward = next(a for a in rule["Actions"] if a["Type"] == "forward")
            groups = forward.get("ForwardConfig", {}).get("TargetGroups") or [
                {"TargetGroupArn": forward["TargetGroupArn"], "Weight": 1}
            ]
            weights = {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
            total = sum(weights.values())
            share = weights.get(self.routes[key].green_target_group_arn, 0) / total if total else 0
            green[key] = round(100 * share)
        return green


def use_moto_credentials() -> None:
    """The routers' clients take the default credential chain: only moto's dummies are left in it."""
    kept = moto_environment(dict(os.environ))
    os.environ.clear()
    os.environ.update(kept)


def reset_moto(moto: MotoServer) -> None:
    """An empty moto account (moto's own reset endpoint, over HTTP)."""
    request = urllib.request.Request(f"{moto.endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def alb_platform(moto: MotoServer, local: LocalEnvironment) -> tuple[TrafficRouter, AlbWeights]:
    """A fresh ALB in moto for local's exposed services (as `cutover demo` makes it), the worker's
    router on it as the worker's wiring builds it, and the bench's reader of its rules."""
    reset_moto(moto)
    aws = create_alb(
        moto.client, exposed_services(local.read(), FANOUT_BLUE), FANOUT_BLUE, FANOUT_GREEN, ALB_NAME
    )
    config = PlatformConfig(
        router=AlbConfig(kind="alb", region=REGION, endpoint_url=moto.endpoint, routes=aws.routes)
    )
    _cluster, router, _metrics = build_platform(config, local)  # cluster and metrics: local
    return router, AlbWeights(moto.client("elbv2"), aws.routes)


async def fanout_abort(handle: Handle, routes: Watch) -> tuple[float, float]:
    """Wait for every route at the first step, abort, time the return of all of them to 0 (and to the
    result); raise RuntimeError when the migration ends before the step or does not roll back."""
    checked = time.monotonic()
    while not await routes.all_at(FANOUT_STEPS[0]):
        if time.monotonic() - checked >= 0.2:  # did the migration end before the step?
            checked = time.monotonic()
            status: MigrationStatus = await handle.query(MigrationWorkflow.status)
            if status.outcome != Outcome.RUNNING or status.phase == Phase.DONE:
                raise RuntimeError(f"the migration ended before the first step: {status.outcome_reason}")
        await asyncio.sleep(routes.poll)
    t0 = time.monotonic()
    await handle.signal(MigrationWorkflow.abort, Control(sender=SENDER, reason=REASON))
    while not await routes.all_at(0):
        await asyncio.sleep(routes.poll)
    to_blue = time.monotonic() - t0
    result: MigrationStatus = await handle.result()
    to_end = time.monotonic() - t0
    problems = [
        f"outcome {result.outcome.value}" if result.outcome != Outcome.ROLLED_BACK else "",
        f"reason {result.outcome_reason!r}"
        if result.outcome_reason != f"aborted by {SENDER}: {REASON}"
        else "",
        await routes.off(0),
    ]
    error = "; ".join(p for p in problems if p)
    if error:
        raise RuntimeError(error)
    return to_blue, to_end


async def fanout_run(client: Client, services: int, moto: MotoServer | None) -> tuple[float, float]:
    """One migration of `services` exposed services on a fresh environment and task queue; with `moto`,
    routed by the ALB router on a fresh ALB in it."""
    with tempfile.TemporaryDirectory(prefix="bench-abort-fanout-") as tmp:
        folder = Path(tmp)
        local = fanout_environment(folder / "local-env.json", services)
        router: TrafficRouter = local
        routes: Watch = Routes(local, services)
        if moto is not None:
            router, routes = await asyncio.to_thread(alb_platform, moto, local)
        queue = f"bench-abort-fanout-{uuid.uuid4()}"
        async with build_worker(
            client,
            queue,
            MigrationActivities(
                local, router, local, folder / "reports", LocalReportStore(folder / "reports")
            ),
        ):
            handle = await client.start_workflow(
                MigrationWorkflow.run,
                fanout_plan(services),
                id=f"bench-abort-fanout-{services}-{uuid.uuid4()}",
                task_queue=queue,
            )
            try:
                return await asyncio.wait_for(fanout_abort(handle, routes), FANOUT_LIMIT)
            except TimeoutError:
                status: MigrationStatus = await handle.query(MigrationWorkflow.status)
                limit = f"no result within {FANOUT_LIMIT:.0f} s; last step: {status.step}"
                raise RuntimeError(limit) from None
            finally:
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("benchmark run failed")  # its leases end with it (parent-close)
                    await asyncio.sleep(2)


@activity.defn(name="bench_bare_touch")
async def bare_touch(path: str) -> None:
    """The bare round trip's one effect: a file the bench polls for."""
    Path(path).write_text("done")


@workflow.defn(name="BenchBareSignal", sandboxed=False)
class BareSignalWorkflow:
    """Waits for `go`, then runs one trivial activity: the floor under any signal-driven action."""

    def __init__(self) -> None:
        self._go = False

    @workflow.signal
    def go(self) -> None:
        self._go = True

    @workflow.query
    def waiting(self) -> bool:
        return not self._go

    @workflow.run
    async def run(self, path: str) -> None:
        await workflow.wait_condition(lambda: self._go)
        await workflow.execute_activity(bare_touch, path, start_to_close_timeout=timedelta(seconds=30))


async def bare_round_trip(client: Client, queue: str, folder: Path) -> float:
    """Start a bare workflow, let it reach its wait, signal it and time until its activity's file."""
    flag = folder / f"{uuid.uuid4()}.flag"
    handle = await client.start_workflow(
        BareSignalWorkflow.run, str(flag), id=f"bench-abort-bare-{uuid.uuid4()}", task_queue=queue
    )
    while not await handle.query(BareSignalWorkflow.waiting):  # answered once its first task ran
        await asyncio.sleep(FANOUT_POLL)
    await asyncio.sleep(BARE_SETTLE)
    t0 = time.monotonic()
    await handle.signal(BareSignalWorkflow.go)
    while not flag.exists():
        await asyncio.sleep(FANOUT_POLL)
    sample = time.monotonic() - t0
    await handle.result()
    return sample


Samples = dict[int, list[float]]


def named(moto: MotoServer | None) -> str:
    return "local" if moto is None else "alb"


async def fanout_sizes(
    client: Client, runs: int, sizes: list[int], folder: Path, moto: MotoServer | None
) -> tuple[Samples, list[float], int]:
    """Every size's runs, each followed by one bare round trip: the same server, the same moment."""
    measured: Samples = {}
    bare: list[float] = []
    errors = 0
    queue = f"bench-abort-bare-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[BareSignalWorkflow], activities=[bare_touch]):
        for size in sizes:
            measured[size] = []
            for number in range(1, runs + 1):
                try:
                    to_blue, to_end = await fanout_run(client, size, moto)
                except RuntimeError as error:
                    errors += 1
                    print(f"ERROR {size} services on {named(moto)} #{number}: {error}", flush=True)
                else:
                    measured[size].append(to_blue)
                    print(
                        f"  {size} services on {named(moto)} #{number}: abort to blue {to_blue:.3f} s, "
                        f"abort to end {to_end:.3f} s",
                        flush=True,
                    )
                bare.append(await asyncio.wait_for(bare_round_trip(client, queue, folder), 60))
                print(f"  bare signal-to-activity #{len(bare)}: {bare[-1]:.3f} s", flush=True)
    return measured, bare, errors


async def fanout_main(runs: int, sizes: list[int], router: str) -> None:
    configure_logging(json_output=False, level=logging.WARNING)
    moto: MotoServer | None = None
    if router == "alb":
        use_moto_credentials()
        moto = start_moto_server()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=DATA_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    try:
        with tempfile.TemporaryDirectory(prefix="bench-abort-bare-") as tmp:
            measured, bare, errors = await fanout_sizes(env.client, runs, sizes, Path(tmp), moto)
    finally:
        await env.shutdown()
        if moto is not None:
            moto.stop()
    print()
    for size, samples in measured.items():
        if not samples:
            print(f"{size} services on {router}: every run failed (runs 0)")
            continue
        print(
            f"{size} services on {router}: abort to blue p50 {statistics.median(samples):.3f} s, "
            f"max {max(samples):.3f} s (runs {len(samples)})"
        )
    bare_p50 = statistics.median(bare) if bare else float("nan")
    print(f"bare signal-to-activity round trip p50 {bare_p50:.3f} s")
    print(f"errors={errors}")
    done = [size for size, samples in measured.items() if samples]
    chosen = 50 if 50 in done else max(done, default=None)
    if chosen is None:
        if router == "alb":
            print("alb: abort to all at blue: every run failed")
        print("RESULT fanout_50_p50_s=nan fanout_50_max_s=nan bare_ratio=nan")
        return
    p50, worst = statistics.median(measured[chosen]), max(measured[chosen])
    if router == "alb":
        print(f"alb: abort to all at blue, N={chosen}: p50 {p50:.3f} s, max {worst:.3f} s")
    print(f"RESULT fanout_50_p50_s={p50:.3f} fanout_50_max_s={worst:.3f} bare_ratio={p50 / bare_p50:.3f}")


def arguments() -> tuple[int, list[str], list[int] | None, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="aborts per phase or per size (default 5)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--phases", default=",".join(CASES), help=f"comma-separated, of: {', '.join(CASES)}")
    which.add_argument(
        "--services",
        help="comma-separated service counts, e.g. 1,10,50,200: abort-to-blue against the fan-out "
        "(instead of the phases), with a bare signal-to-activity round trip for comparison",
    )
    parser.add_argument(
        "--router",
        choices=ROUTERS,
        default="local",
        help="with --services: the worker's TrafficRouter, the local environment's routes (default) or "
        "the ALB router on a moto server the bench starts",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.router != "local" and args.services is None:
        parser.error("--router applies to the fan-out mode only: give --services too")
    if args.services is not None:
        try:
            sizes = [int(s) for s in args.services.split(",") if s.strip()]
        except ValueError:
            parser.error(f"--services must be comma-separated whole numbers, got {args.services!r}")
        if not sizes or any(n < 1 for n in sizes):
            parser.error(f"--services needs at least one size, each at least 1, got {args.services!r}")
        return args.runs, [], sizes, args.router
    phases = [p for p in args.phases.split(",") if p]
    unknown = [p for p in phases if p not in CASES]
    if unknown:
        parser.error(f"unknown phases {unknown}")
    return args.runs, phases, None, args.router


if __name__ == "__main__":
    runs, phases, sizes, router = arguments()
    asyncio.run(fanout_main(runs, sizes, router) if sizes is not None else main(runs, phases))
