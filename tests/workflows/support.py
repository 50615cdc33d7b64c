"""Shared checks and drivers for the workflow tests: reach a point on purpose, prove a clean rollback."""

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from cutover.models import Control, GateDecision, MigrationStatus, Phase
from cutover.plan.model import Plan
from cutover.platform.local import LocalEnvironment, State, cron_snapshots
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import Harness, make_plan

Predicate = Callable[[MigrationStatus], bool]


def no_gate_plan(**overrides: Any) -> Plan:
    """A plan that runs to the end unattended, so handle.result() can skip time on its own."""
    return make_plan(
        gates={"require": [], "approvers": [], "timeout": "4h", "on_timeout": "rollback"}, **overrides
    )


async def drive(h: Harness, stop: Predicate) -> MigrationStatus:
    """Approve every gate that opens until stop holds; fails if the migration ends first."""
    while True:
        status = await h.until(lambda s: stop(s) or s.open_gate is not None or s.phase == Phase.DONE)
        if stop(status):
            return status
        assert status.open_gate is not None, f"migration ended before the stop point: {status.step}"
        await h.approve(status.open_gate.name)
        await h.until(_gate_closed(status.open_gate.name), step=timedelta(seconds=1))


def _gate_closed(gate: str) -> Predicate:
    return lambda s: s.open_gate is None or s.open_gate.name != gate


async def poll(h: Harness, predicate: Predicate, seconds: float = 10) -> MigrationStatus:
    """Wait in real time without skipping server time: for phases made only of activities."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        status = await h.status()
        if predicate(status):
            return status
        if loop.time() > deadline:
            raise AssertionError(f"condition never held; last step: {status.step}")
        await asyncio.sleep(0.02)


def writes_blocked(local: LocalEnvironment) -> AbstractContextManager[None]:
    """Hold the state file's lock: every writing activity waits, so a phase without timers stays put."""
    return local.locked()


async def signal(h: Harness, name: str, sender: str = "alice", reason: str = "") -> None:
    """Send pause / resume / abort by name."""
    method = {
        "pause": MigrationWorkflow.pause,
        "resume": MigrationWorkflow.resume,
        "abort": MigrationWorkflow.abort,
    }[name]
    await h.handle.signal(method, Control(sender=sender, reason=reason))


async def decide(h: Harness, verb: str, gate: str, sender: str, comment: str = "") -> None:
    method = MigrationWorkflow.approve if verb == "approve" else MigrationWorkflow.reject
    await h.handle.signal(method, GateDecision(gate=gate, sender=sender, comment=comment))


def _green_env(state: State) -> str:
    green: str = next(env for env in state["clusters"] if env != state["blue"])
    return green


def _cron_keys(state: State) -> set[str]:
    return {k for cluster in state["clusters"].values() for k in cluster if "/cronjob/" in k}


# The CronJob controller's bookkeeping, not the workload: it moves with time whatever the migration does.
SCHEDULE_BOOKKEEPING = ("last_schedule", "resumed_at")


def workloads(state: State) -> State:
    return {
        env: {
            key: {f: v for f, v in item.items() if f not in SCHEDULE_BOOKKEEPING}
            for key, item in cluster.items()
        }
        for env, cluster in state["clusters"].items()
    }


def assert_restored(before: State, after: State) -> None:
    """Rollback must leave the environment as the migration found it, not merely 'mostly'."""
    blue, green = before["blue"], _green_env(before)
    before, after = {**before, "clusters": workloads(before)}, {**after, "clusters": workloads(after)}
    assert after["clusters"][blue] == before["clusters"][blue], "blue's workloads changed"
    added = sorted(after["clusters"][green].keys() - before["clusters"][green].keys())
    assert after["clusters"][green] == before["clusters"][green], f"green changed; added {added}"
    routes = set(before["routes"]) | set(after["routes"])
    assert {r: after["routes"].get(r, 0) for r in routes} == {r: before["routes"].get(r, 0) for r in routes}
    assert all(after["routes"].get(r, 0) == 0 for r in routes), after["routes"]
    for key in _cron_keys(before) | _cron_keys(after):
        enabled = [env for env, c in after["clusters"].items() if key in c and not c[key].get("suspended")]
        was_enabled = [blue] if not before["clusters"][blue][key].get("suspended") else []
        assert enabled == was_enabled, f"{key} enabled in {enabled}, before in {was_enabled}"


def assert_cron_never_in_two_envs(state: State) -> None:
    """Every recorded moment: each CronJob is enabled in at most one environment.

    Hand-over suspends first and resumes second, so a gap (enabled nowhere) is allowed, but
    only as a passing moment: the next change of that CronJob enables it somewhere again.
    """
    history = cron_snapshots(state)
    assert history, "no cron snapshots were recorded"
    for moment, snapshot in enumerate(history):
        assert snapshot, f"snapshot {moment} lists no cronjobs"
        for cron, envs in snapshot.items():
            assert len(envs) <= 1, f"snapshot {moment}: {cron} enabled in {envs}"
            if not envs:
                later = [s[cron] for s in history[moment + 1 :] if s.get(cron) != envs]
                assert later and len(later[0]) == 1, f"snapshot {moment}: {cron} left enabled nowhere"
