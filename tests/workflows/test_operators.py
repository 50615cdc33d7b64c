"""The plan's operators: only they may pause and resume (a stuck undo's resume too); anyone may abort,
the safe direction, always with their name in the timeline. Without operators, anyone may."""

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cutover.models import Control, Outcome
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import make_plan, migration


async def test_only_operators_pause_and_resume_and_anyone_aborts(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = make_plan(operators=["carol"])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        await h.at_gate("uat")
        await h.handle.signal(MigrationWorkflow.pause, Control(sender="mallory", request_id="p1"))
        refused = await h.until(lambda s: s.receipt("p1") is not None)
        assert not refused.paused
        receipt = refused.receipt("p1")
        assert receipt and not receipt.applied
        assert receipt.message == "'mallory' is not an operator (operators: carol)"
        await h.handle.signal(MigrationWorkflow.pause, Control(sender="carol", reason="incident"))
        await h.until(lambda s: s.paused)
        await h.handle.signal(MigrationWorkflow.resume, Control(sender="mallory", request_id="r1"))
        still = await h.until(lambda s: s.receipt("r1") is not None)
        assert still.paused, "a resume from someone else leaves it paused"
        await h.handle.signal(MigrationWorkflow.abort, Control(sender="mallory", reason="looks wrong"))
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason == "aborted by mallory: looks wrong"
    refusals = [(e.actor, e.message) for e in result.timeline if e.kind == "refused"]
    assert refusals == [
        ("mallory", "pause refused: 'mallory' is not an operator (operators: carol)"),
        ("mallory", "resume refused: 'mallory' is not an operator (operators: carol)"),
    ]
