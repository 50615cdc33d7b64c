"""Abort interrupts the step in flight, on the dev server: a deploy, a rollout wait, a CronJob drain,
a first-run wait. Each of these would otherwise hold the migration for its own timeout (10 minutes,
30 minutes, 25 hours), so a result within RESULT_LIMIT proves the interruption without timing it.

The time-skipping test server cannot run these: a child workflow cancelled while its activity is
cancelled sometimes never gets its next workflow task there (sdk-java#2391, sdk-python#1751).
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cutover.models import MigrationStatus, Outcome, Phase
from cutover.platform.local import State
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from tests.dev_server_process import DevServer
from tests.workflows.helpers import Harness, migration
from tests.workflows.support import (
    assert_cron_never_in_two_envs,
    assert_restored,
    poll,
    signal,
    writes_blocked,
)

RESULT_LIMIT = 180.0  # seconds; far below every timeout an uninterrupted step would wait out
REACH_LIMIT = 120.0  # seconds to reach the step on a slow machine


@asynccontextmanager
async def dev_env(server: DevServer) -> AsyncIterator[WorkflowEnvironment]:
    client = await connect(TemporalSettings(address=server.address))
    yield WorkflowEnvironment.from_client(client)


async def _deploying(h: Harness) -> None:
    """No wait in this step: hold the environment's writes so the abort lands inside the deploy."""
    with writes_blocked(h.local):
        await poll(h, lambda s: s.phase == Phase.NON_EXPOSED, REACH_LIMIT)
        await abort(h)


async def _deploy_finishing(h: Harness) -> None:
    """The deploy finishes although its child was asked to stop: the writes are let go the moment
    the cancellation is recorded, before the activity's next heartbeat could deliver it. The child
    must still stop, not go on to its first-run wait (run_pending: it never ends)."""
    child = h.env.client.get_workflow_handle(f"{h.handle.id}/nightly-invoices")

    async def deploy_running() -> bool:
        try:
            pending = (await child.describe()).raw_description.pending_activities
        except RPCError:
            return False  # not started yet
        return any(a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED for a in pending)

    async def cancel_requested() -> bool:
        kinds = [e.event_type async for e in child.fetch_history_events()]
        return EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in kinds

    with writes_blocked(h.local):
        await until(deploy_running, "the deploy never started")
        await abort(h)
        await until(cancel_requested, "the deploy was never asked to stop")


async def until(look: Callable[[], Awaitable[bool]], failure: str) -> None:
    deadline = asyncio.get_running_loop().time() + REACH_LIMIT
    while not await look():
        assert asyncio.get_running_loop().time() < deadline, failure
        await asyncio.sleep(0.02)


def _step(prefix: str) -> Callable[[Harness], Awaitable[None]]:
    async def reach_and_abort(h: Harness) -> None:
        await poll(h, lambda s: s.step.startswith(prefix), REACH_LIMIT)
        await abort(h)

    return reach_and_abort


def _cron_enabled_in(envs: Callable[[Harness], list[str]]) -> Callable[[Harness], Awaitable[None]]:
    """Abort once nightly-invoices' schedule is enabled exactly in envs (the hand-over's stage)."""

    async def reach_and_abort(h: Harness) -> None:
        await poll(
            h, lambda _: h.local.cron_enabled_in("billing", "nightly-invoices") == envs(h), REACH_LIMIT
        )
        await abort(h)

    return reach_and_abort


async def abort(h: Harness) -> None:
    await signal(h, "abort", "carol", "stop now")


# case: (failure injected into the local environment, how to reach the step and abort, phase)
CASES: dict[str, tuple[dict[str, object], Callable[[Harness], Awaitable[None]], Phase]] = {
    "deploy": ({}, _deploying, Phase.NON_EXPOSED),
    "deploy-finishing": ({"run_pending": "nightly-invoices"}, _deploy_finishing, Phase.NON_EXPOSED),
    "rollout-wait": ({"never_ready": "checkout"}, _step("wait for checkout to roll out"), Phase.PARALLEL),
    # Draining: suspended in blue, not yet enabled in green. First run: enabled in green only.
    "cronjob-drain": (
        {"jobs_running": "nightly-invoices"},
        _cron_enabled_in(lambda h: []),
        Phase.NON_EXPOSED,
    ),
    "first-run-wait": (
        {"run_pending": "nightly-invoices"},
        _cron_enabled_in(lambda h: [h.plan.target.name]),
        Phase.NON_EXPOSED,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_abort_interrupts_the_step_in_flight(dev_server: DevServer, tmp_path: Path, case: str) -> None:
    failures, reach_and_abort, phase = CASES[case]

    async def run() -> tuple[State, State, MigrationStatus]:
        async with dev_env(dev_server) as env, migration(env, tmp_path, failures=failures) as h:
            before = h.local.read()
            await reach_and_abort(h)
            result = await asyncio.wait_for(h.handle.result(), RESULT_LIMIT)
            return before, h.local.read(), result

    before, after, result = asyncio.run(run())
    assert result.outcome == Outcome.ROLLED_BACK, result.outcome_reason
    assert result.outcome_reason == "aborted by carol: stop now"
    entered = [e.message.removeprefix("entered ") for e in result.timeline if e.kind == "phase"]
    assert entered[-2:] == [phase.value, Phase.ROLLING_BACK.value], "the abort landed in another phase"
    assert all(weight == 0 for weight in result.weights.values())
    assert_restored(before, after)
    assert_cron_never_in_two_envs(after)
