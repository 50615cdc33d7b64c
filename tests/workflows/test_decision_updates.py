"""Decisions as Workflow Updates: answered at once with what they did, refused at once with why (typed
by the refusal's kind) and then nothing of them in the history or the timeline; abort's Update
answers once the rollback has started. The signals of the same names still act (the Web UI's way)."""

from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cutover.models import Control, GateDecision, MigrationStatus, Outcome
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import make_plan, migration


async def refusal(handle: WorkflowHandle[Any, Any], name: str, payload: object) -> tuple[str, str]:
    """The refused update's (kind, reason)."""
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(name, payload)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.type or "", cause.message


async def update_events(handle: WorkflowHandle[Any, Any]) -> list[str]:
    names = [EventType.Name(e.event_type) for e in (await handle.fetch_history()).events]
    return [name for name in names if "UPDATE" in name]


def refused_lines(status: MigrationStatus) -> list[str]:
    return [e.message for e in status.timeline if e.kind == "refused"]


async def test_a_decision_update_answers_at_once_and_a_refusal_leaves_no_trace(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = make_plan(operators=["carol"])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        await h.at_gate("uat")
        mig = h.handle.id
        assert await refusal(h.handle, "approve", {"gate": "uat", "sender": "mallory"}) == (
            "not-an-approver",
            "approve of uat refused: 'mallory' is not an approver",
        )
        assert await refusal(h.handle, "approve", {"gate": "traffic-25", "sender": "alice"}) == (
            "gate-not-open",
            f"approve refused: gate 'traffic-25' is not open in {mig} (open gate is uat)",
        )
        kind, _ = await refusal(h.handle, "reject", {"sender": "alice"})
        assert kind == "bad-input"
        assert await refusal(h.handle, "pause", {"sender": "mallory"}) == (
            "not-an-operator",
            "pause refused: 'mallory' is not an operator (operators: carol)",
        )
        assert await update_events(h.handle) == [], "refused updates leave nothing in the history"
        assert refused_lines(await h.status()) == []
        paused = await h.handle.execute_update(MigrationWorkflow.pause_update, Control(sender="carol"))
        assert paused == "paused: the migration holds at the next step boundary"
        approved = await h.handle.execute_update(
            "approve", GateDecision(gate="uat", sender="alice"), result_type=str
        )
        assert approved == "approval of gate uat recorded"
        resumed = await h.handle.execute_update(MigrationWorkflow.resume_update, Control(sender="carol"))
        assert resumed == "resumed"
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    approvals = [(e.actor, e.message) for e in result.timeline if e.kind == "approved"]
    assert approvals[0] == ("alice", "gate uat (unverified): ")


async def test_the_abort_update_answers_once_the_rollback_started(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        stop = Control(sender="alice", reason="testers found a bug")
        answer = await h.handle.execute_update("abort", stop, result_type=str)
        result = await h.handle.result()
    assert answer.startswith("abort recorded: rolling back to blue; rollback started (")
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason == "aborted by alice: testers found a bug"
