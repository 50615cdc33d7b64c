"""The standby window after full cutover: `revert` sends everything back to blue as an abort does (an
Update whose validator refuses, leaving no trace, what it cannot take), and the optional decommission
gate scales blue to zero, which a revert undoes before any traffic goes back."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cutover.models import Control, MigrationStatus, Outcome, Phase
from cutover.platform.local import State
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import Harness, make_plan, migration
from tests.workflows.support import (
    assert_restored,
    decide,
    drive,
    poll,
    signal,
    workloads,
    writes_blocked,
)
from tests.workflows.test_bad_inputs import bad_shapes, task_failures, ui_client

BLUE_DEPLOYMENTS = {
    "shop/deployment/checkout": 3,
    "shop/deployment/catalog": 2,
    "shop/deployment/email-worker": 2,
}
TASK_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


def decommission_plan(**overrides: Any) -> Any:
    return make_plan(monitoring={"window": "1h", "decommission": True}, **overrides)


def gate_open(name: str) -> Any:
    return lambda s: s.open_gate is not None and s.open_gate.name == name


def monitoring(status: MigrationStatus) -> bool:
    return status.step.startswith("intensive monitoring")


async def revert(h: Harness, reason: str = "checkout p99 doubled", sender: str = "dave") -> str:
    return await h.handle.execute_update(MigrationWorkflow.revert, Control(sender=sender, reason=reason))


async def refusal(h: Harness, *inputs: object) -> str:
    """The validator's line for a revert sent with these inputs."""
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await h.handle.execute_update("revert", args=list(inputs))
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


def replicas(state: State) -> dict[str, int]:
    blue = state["clusters"][state["blue"]]
    return {key: blue[key]["replicas"] for key in BLUE_DEPLOYMENTS}


async def test_revert_in_a_days_long_monitoring_window_routes_everything_back_at_once(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = make_plan(monitoring={"window": "3d"}, analysis={"interval": "1h"})
    async with migration(time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        await drive(h, monitoring)
        await time_skipping_env.sleep(timedelta(days=1))
        assert monitoring(await h.status()) and h.local.read()["routes"] == {
            "shop/checkout": 100,
            "shop/catalog": 100,
        }
        with writes_blocked(h.local):  # the rollback waits: a second revert meets it under way
            answer = await revert(h)
            again = await refusal(h, {"sender": "erin", "reason": "me too"})
        result = await h.handle.result()
        history = await h.handle.fetch_history()
    assert answer.startswith("reverting: every exposed service back to blue at once")
    assert again == "already rolling back: reverted by dave: checkout p99 doubled"
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason == "reverted by dave: checkout p99 doubled"
    reverted = [e for e in result.timeline if e.kind == "reverted"]
    assert [(e.actor, e.message) for e in reverted] == [
        ("dave", "reverted in the standby window: checkout p99 doubled")
    ]
    entered = [e.message.removeprefix("entered ") for e in result.timeline if e.kind == "phase"]
    assert entered[-2:] == [Phase.FULL_CUTOVER.value, Phase.ROLLING_BACK.value]
    assert result.weights == {"checkout": 0, "catalog": 0} == result.blue_weights
    assert_restored(before, h.local.read())
    # The way back is the abort's: one activity sets every route, before anything else is undone.
    types = [e.event_type for e in history.events]
    accepted = types.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    after = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events[accepted:]
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert after[0] == "set_weights" and after.count("set_weights") == 1, after


async def test_a_revert_the_migration_cannot_take_is_refused_and_leaves_no_trace(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        status, events = await h.status(), len((await h.handle.fetch_history()).events)
        refusals = [
            await refusal(h, {"sender": "dave", "reason": "too early"}),
            await refusal(h, {"sender": "dave", "reason": "  "}),
            await refusal(h, {"sender": "dave"}),
            await refusal(h, {"reason": "no sender"}),
            await refusal(h, "revert!"),
            await refusal(h),
            await refusal(h, {"sender": "dave", "reason": "x" * 1001}),
        ]
        after = await h.status()
        added = (await h.handle.fetch_history()).events[events:]
    assert refusals[0].startswith("not cut over yet: use abort")
    assert refusals[1:3] == ["reason: must say why (it goes into the timeline and the review)"] * 2
    assert refusals[3] == "sender: missing"
    assert refusals[4].startswith("expected a JSON object such as {")
    assert refusals[5].startswith("no input; send exactly one JSON object such as {")
    assert refusals[6].startswith("reason: String should have at most 1000 characters")
    assert after.timeline == status.timeline and after.refusals == status.refusals
    # The real server drops a refused update's workflow task; the test server keeps the task, no more.
    assert {e.event_type for e in added} <= TASK_EVENTS, added


async def test_decommission_approved_scales_blue_to_zero_and_the_migration_succeeds(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, decommission_plan()) as h:
        await drive(h, gate_open("decommission"))
        at_gate = h.local.read()
        assert replicas(at_gate) == BLUE_DEPLOYMENTS
        await decide(h, "approve", "decommission", "bob", "blue costs money")
        result = await h.handle.result()
    after = h.local.read()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert replicas(after) == dict.fromkeys(BLUE_DEPLOYMENTS, 0)
    crons = {env: {k: v for k, v in c.items() if "/cronjob/" in k} for env, c in workloads(after).items()}
    assert crons == {
        env: {k: v for k, v in c.items() if "/cronjob/" in k} for env, c in workloads(at_gate).items()
    }
    assert after["routes"] == {"shop/checkout": 100, "shop/catalog": 100}
    (scaled,) = [e.message for e in result.timeline if e.kind == "decommission"]
    assert scaled.startswith("blue (eks) scaled to zero: ")
    assert "kubectl -n shop scale deployment/checkout --replicas=3" in scaled


@pytest.mark.parametrize("how", ["reject", "timeout"])
async def test_decommission_rejected_or_timed_out_keeps_blue_and_succeeds(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, how: str
) -> None:
    """Even with gates.on_timeout: rollback, the decommission gate never rolls back."""
    async with migration(time_skipping_env, tmp_path, decommission_plan()) as h:
        await drive(h, gate_open("decommission"))
        if how == "reject":
            await decide(h, "reject", "decommission", "bob", "keep it a week")
        result = await h.handle.result()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert replicas(h.local.read()) == BLUE_DEPLOYMENTS
    kind = "rejected" if how == "reject" else "gate-timeout"
    (kept,) = [e for e in result.timeline if e.kind == kind]
    assert kept.message.endswith(
        "blue stays as hot standby (its workloads keep their replicas); the migration succeeds"
    )
    assert not [e for e in result.timeline if e.kind in ("rollback", "undo")]


async def test_revert_at_the_open_decommission_gate_rolls_back(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, decommission_plan()) as h:
        before = h.local.read()
        await drive(h, gate_open("decommission"))
        await revert(h, "errors in the EU", "erin")
        result = await h.handle.result()
    assert (
        result.outcome == Outcome.ROLLED_BACK
        and result.outcome_reason == "reverted by erin: errors in the EU"
    )
    assert_restored(before, h.local.read())


async def test_revert_after_blue_was_scaled_down_scales_it_back_up_before_routing_back(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, decommission_plan()) as h:
        before = h.local.read()
        await drive(h, gate_open("decommission"))
        with writes_blocked(h.local):  # hold the scale-down in flight, and pause behind it
            await decide(h, "approve", "decommission", "bob")
            await poll(h, lambda s: s.step.startswith("scale "))
            await signal(h, "pause", "carol", "look at blue first")
        held = await poll(h, lambda s: s.step.startswith("paused"))
        assert replicas(h.local.read()) == dict.fromkeys(BLUE_DEPLOYMENTS, 0)
        assert held.phase == Phase.FULL_CUTOVER and held.outcome == Outcome.RUNNING
        answer = await revert(h)
        result = await h.handle.result()
    assert answer.startswith("reverting: scale blue back up, then every exposed service back to blue")
    assert result.outcome == Outcome.ROLLED_BACK
    assert_restored(before, h.local.read())
    undos = [e.message for e in result.timeline if e.kind == "undo"]
    assert undos[0].startswith("scale ") and "back up in blue and wait for their rollouts" in undos[0]
    assert undos[1].startswith("route ") and "back to blue" in undos[1]


async def test_no_shape_of_revert_fails_a_workflow_task(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Sent as the Web UI and the raw `temporal` CLI send them; each refused with its reason."""
    plan = make_plan(monitoring={"window": "1d"}, analysis={"interval": "1h"})
    async with migration(time_skipping_env, tmp_path, plan) as h:
        await drive(h, monitoring)
        raw_handle = ui_client(time_skipping_env).get_workflow_handle(h.handle.id)
        for label, inputs, phrase in bad_shapes(decision=False):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await raw_handle.execute_update("revert", args=inputs)
            assert phrase in str(refused.value.cause), (label, refused.value.cause)
        await revert(h)
        result = await h.handle.result()
        assert await task_failures(h.handle) == []
    assert result.outcome == Outcome.ROLLED_BACK
