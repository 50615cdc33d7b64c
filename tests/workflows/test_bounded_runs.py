"""Runs stay bounded: the migration continues as new between units, its analysis groups every 250
looks, and nothing sent across a run boundary is lost; a flood ends rolled back, never terminated."""

from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from cutover.models import Outcome, Phase
from tests.workflows.helpers import Harness, make_plan, migration
from tests.workflows.support import assert_restored, no_gate_plan, signal

# 480 health rounds of about 11 events: the migration continues as new before its first bake.
LONG_SIDE_BY_SIDE = {"duration": "8h", "health_check_interval": "1m"}


async def runs(client: Client, workflow_id: str) -> list[str]:
    """The run ids of a workflow, first to latest."""
    chain, run_id = [], None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        chain.append(history.run_id)
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return chain[::-1]
        run_id = started.continued_execution_run_id


async def longest_run(h: Harness) -> int:
    lengths = []
    for run_id in await runs(h.env.client, h.handle.id):
        history = await h.env.client.get_workflow_handle(h.handle.id, run_id=run_id).fetch_history()
        lengths.append(len(history.events))
    return max(lengths)


async def after_a_new_run(h: Harness) -> None:
    """Advance until the migration has continued as new at least once."""
    first = (await h.handle.describe()).run_id
    for _ in range(5000):
        if (await h.handle.describe()).run_id != first:
            return
        await h.env.sleep(timedelta(minutes=1))
    raise AssertionError("the migration never continued as new")


async def test_pause_and_abort_sent_across_runs_hold_and_the_rollback_restores_exactly(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = no_gate_plan(parallel_operation=LONG_SIDE_BY_SIDE)
    async with migration(own_time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        await after_a_new_run(h)
        await signal(h, "pause", "carol", "look at something")
        paused = await h.until(lambda s: s.step.startswith("paused"))
        assert paused.paused and paused.phase == Phase.PARALLEL
        for _ in range(180):  # 3 hours
            await h.env.sleep(timedelta(minutes=1))
        assert (await h.status()).step.startswith("paused"), "the pause did not hold"
        await signal(h, "resume", "carol")
        await h.until(lambda s: not s.paused)
        await signal(h, "abort", "carol", "stop now")
        result = await h.handle.result()
        chain = await runs(h.env.client, h.handle.id)
        longest = await longest_run(h)
    assert result.outcome == Outcome.ROLLED_BACK and result.outcome_reason == "aborted by carol: stop now"
    assert len(chain) >= 2, chain
    assert longest <= 10_240
    assert_restored(before, h.local.read())
    kinds = [e.kind for e in result.timeline]
    assert "paused" in kinds and "resumed" in kinds, "a signal sent to a later run was lost"


async def test_an_analysis_group_continues_as_new_mid_bake_and_the_step_still_decides(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """A 6-hour bake looked at every minute: 360 looks, so the group's run ends mid-bake."""
    plan = make_plan(
        gates={"require": [], "approvers": [], "timeout": "4h", "on_timeout": "rollback"},
        traffic={"steps": [50, 100], "bake": "6h"},
        analysis={"interval": "1m"},
    )
    async with migration(own_time_skipping_env, tmp_path, plan) as h:
        await h.until(lambda s: s.step.startswith("bake at 50%"))
        for _ in range(300):  # 5 hours, past 250 looks, in steps the server skips quickly
            await h.env.sleep(timedelta(minutes=1))
        await signal(h, "pause", "carol", "during the bake")
        await h.env.sleep(timedelta(minutes=30))
        await signal(h, "resume", "carol")
        result = await h.handle.result()
        group = h.env.client.get_workflow_handle(f"{h.handle.id}/analysis-0")
        described = await group.describe()
        group_runs = await runs(h.env.client, group.id)
    assert described.status == WorkflowExecutionStatus.COMPLETED
    assert len(group_runs) >= 2, "the group never continued as new"
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert [a.verdict for a in result.analyses if a.weight == 50] == ["pass", "pass"]


async def test_a_flood_of_signals_ends_rolled_back_never_terminated(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Ten near-megabyte signals pass the guard's 8 MB: traffic goes back to blue at once, the rest of
    the rollback runs in a run of its own."""
    plan = make_plan(gates={"require": ["full-cutover"], "approvers": ["alice"], "timeout": "24h"})
    async with migration(own_time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        await h.at_gate("full-cutover")
        assert all(w > 0 for w in (await h.status()).weights.values())
        for _ in range(10):
            # Refused (a reason is at most 1,000 characters), but recorded in the history all the same.
            await h.handle.signal("pause", {"sender": "mallory", "reason": "x" * 900_000})
        result = await h.handle.result()
        chain = await runs(h.env.client, h.handle.id)
    assert result.outcome == Outcome.ROLLED_BACK
    assert "history is nearly full" in result.outcome_reason
    assert len(chain) == 2, "the rest of the rollback did not get a run of its own"
    assert_restored(before, h.local.read())
