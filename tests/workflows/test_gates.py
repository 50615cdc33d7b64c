"""Approval gates: who may decide, what a decision does, and what happens when nobody decides."""

from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cutover.models import MigrationStatus, Outcome, Phase
from tests.workflows.helpers import make_plan, migration
from tests.workflows.support import assert_restored, decide, drive


def _kinds(status: MigrationStatus, kind: str) -> list[tuple[str, str]]:
    return [(e.actor, e.message) for e in status.timeline if e.kind == kind]


async def test_approval_is_recorded_with_its_actor(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        await decide(h, "approve", "uat", "bob", "UAT signed off")
        status = await h.until(lambda s: s.open_gate is None)
        assert ("bob", "gate uat (unverified): UAT signed off") in _kinds(status, "approved")
        assert status.outcome == Outcome.RUNNING
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    approved = [(actor, msg.split(":")[0]) for actor, msg in _kinds(result, "approved")]
    gates = ["gate uat", "gate traffic-25", "gate full-cutover"]
    assert approved == [
        (who, f"{gate} (unverified)") for who, gate in zip(["bob", "alice", "alice"], gates, strict=True)
    ]


async def test_reject_rolls_back_naming_gate_and_sender(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        before = h.local.read()
        await drive(h, lambda s: s.open_gate is not None and s.open_gate.name == "traffic-25")
        assert h.local.read()["routes"] == {"shop/checkout": 25, "shop/catalog": 25}
        await decide(h, "reject", "traffic-25", "bob", "latency looks off")
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert "traffic-25" in result.outcome_reason and "bob" in result.outcome_reason
    assert ("bob", "gate traffic-25 (unverified): latency looks off") in _kinds(result, "rejected")
    assert result.weights == {"checkout": 0, "catalog": 0}
    assert_restored(before, h.local.read())


async def test_gate_timeout_rolls_back_when_plan_says_so(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        before = h.local.read()
        opened = await h.at_gate("uat")
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert "gate uat timed out" in result.outcome_reason
    timeout = next(e for e in result.timeline if e.kind == "gate-timeout")
    assert opened.open_gate is not None and timeout.time >= opened.open_gate.deadline
    assert not _kinds(result, "approved")
    assert_restored(before, h.local.read())


async def test_gate_timeout_pauses_until_a_late_approval(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = make_plan(
        gates={"require": ["uat"], "approvers": ["alice"], "timeout": "4h", "on_timeout": "pause"}
    )
    async with migration(time_skipping_env, tmp_path, plan) as h:
        opened = await h.at_gate("uat")
        await time_skipping_env.sleep(timedelta(hours=10))
        waiting = await h.status()
        assert waiting.open_gate is not None and waiting.open_gate.name == "uat"
        assert opened.open_gate is not None and waiting.open_gate.deadline == opened.open_gate.deadline
        assert _kinds(waiting, "gate-timeout"), "the timeout was never recorded"
        assert waiting.outcome == Outcome.RUNNING and waiting.phase == Phase.VALIDATION
        assert "timed out" in waiting.step
        assert h.local.read()["routes"] == {}, "traffic moved while the gate was open"
        await decide(h, "approve", "uat", "alice", "late but fine")
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert ("alice", "gate uat (unverified): late but fine") in _kinds(result, "approved")
    assert h.local.read()["routes"] == {"shop/checkout": 100, "shop/catalog": 100}


async def test_approval_from_a_non_approver_is_refused(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        await decide(h, "approve", "uat", "mallory", "trust me")
        status = await h.until(
            lambda s: any(e.kind == "refused" for e in s.timeline), step=timedelta(seconds=1)
        )
        refused = _kinds(status, "refused")
        assert len(refused) == 1 and refused[0][0] == "mallory" and "not an approver" in refused[0][1]
        await time_skipping_env.sleep(timedelta(minutes=30))
        status = await h.status()
        assert status.open_gate is not None and status.open_gate.name == "uat"
        assert not _kinds(status, "approved")
        assert status.phase == Phase.VALIDATION and status.outcome == Outcome.RUNNING
        await decide(h, "approve", "traffic-25", "alice")
        status = await h.until(lambda s: len(_kinds(s, "refused")) == 2, step=timedelta(seconds=1))
        assert "open gate is uat" in _kinds(status, "refused")[1][1]
        assert status.open_gate is not None and status.open_gate.name == "uat"
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert all(actor == "alice" for actor, _ in _kinds(result, "approved"))
