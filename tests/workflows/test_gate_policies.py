"""Gates as policy: a gate's own approvers (people and groups), a quorum of distinct people, and any
approver's rejection rejects; status and the UI's details say who approved and how many are needed.
A plan without policies keeps its meaning (one approval of gates.approvers opens any gate)."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cutover.models import STARTED_BY_MEMO, GateDecision, Outcome
from cutover.plan.history_budget import EVENTS_PER_APPROVAL, estimate_history
from cutover.plan.model import PlanError, parse_plan
from cutover.workflows.details import current_details
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import make_plan, migration

POLICY = {
    "require": ["uat", "full-cutover"],
    "approvers": ["alice"],
    "groups": {"sre": ["carol", "dave"]},
    "policies": {"full-cutover": {"approvers": ["alice", "@sre"], "min_approvals": 2}},
}


def decide(sender: str, gate: str, request_id: str) -> GateDecision:
    return GateDecision(gate=gate, sender=sender, request_id=request_id, comment=f"{sender} ok")


async def test_a_quorum_of_distinct_approvers_opens_the_gate(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = make_plan(gates=POLICY)
    async with migration(time_skipping_env, tmp_path, plan) as h:
        await h.at_gate("uat")
        await h.handle.signal(MigrationWorkflow.approve, decide("carol", "uat", "u1"))
        refused = await h.until(lambda s: s.receipt("u1") is not None)
        assert refused.open_gate and refused.open_gate.name == "uat", "carol may approve full-cutover only"
        await h.approve("uat", "alice")
        gate = await h.at_gate("full-cutover")
        assert gate.open_gate and (gate.open_gate.approvers, gate.open_gate.needed) == (
            ["alice", "carol", "dave"],
            2,
        )
        await h.handle.signal(MigrationWorkflow.approve, decide("carol", "full-cutover", "f1"))
        first = await h.until(lambda s: s.receipt("f1") is not None)
        await h.handle.signal(MigrationWorkflow.approve, decide("carol", "full-cutover", "f2"))
        await h.until(lambda s: s.receipt("f2") is not None)
        assert first.open_gate and first.open_gate.approved_by == ["carol"], "one of two: still open"
        assert "needs 2 distinct approvals; approved by carol" in current_details(first)
        await h.handle.signal(MigrationWorkflow.approve, decide("dave", "full-cutover", "f3"))
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    receipts = {r.request_id: (r.applied, r.message) for r in result.receipts}
    assert receipts["u1"] == (False, "approve of uat refused: 'carol' is not an approver")
    assert receipts["f1"] == (
        True,
        "approval 1 of 2 for gate full-cutover recorded; 1 more needed (from alice, dave)",
    )
    assert receipts["f2"] == (
        False,
        "approve of full-cutover refused: 'carol' approved it already (1 of 2 distinct approvals)",
    )
    assert receipts["f3"] == (True, "approval of gate full-cutover recorded")
    approvals = [(e.actor, e.message) for e in result.timeline if e.kind == "approved"]
    assert approvals[-2:] == [
        ("carol", "gate full-cutover: approval 1 of 2 (unverified): carol ok"),
        ("dave", "gate full-cutover (unverified): dave ok"),
    ]


async def test_one_rejection_by_an_approver_rejects_a_quorum_gate(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    gates = POLICY | {"policies": {"uat": {"approvers": ["@sre"], "min_approvals": 2}}}
    async with migration(time_skipping_env, tmp_path, make_plan(gates=gates)) as h:
        await h.at_gate("uat")
        await h.handle.signal(MigrationWorkflow.approve, decide("carol", "uat", "a"))
        await h.until(lambda s: s.receipt("a") is not None)
        await h.handle.signal(MigrationWorkflow.reject, decide("dave", "uat", "r"))
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason == "gate uat rejected by dave: dave ok"


@pytest.mark.parametrize(
    ("policies", "groups", "problem"),
    [
        (
            {"traffic-75": {"approvers": ["alice"]}},
            {},
            "gates.policies.traffic-75: gate 'traffic-75' needs no approval",
        ),
        (
            {"uat": {"approvers": ["@ops"]}},
            {},
            "gates.policies.uat.approvers[0]: no group 'ops' in gates.groups",
        ),
        (
            {"uat": {"approvers": ["@sre"], "min_approvals": 3}},
            {"sre": ["carol", "dave"]},
            "gates.policies.uat.min_approvals: 3 distinct approvals, but only 2 people may approve it",
        ),
    ],
)
def test_a_policy_that_cannot_work_is_refused_with_the_field(
    policies: dict[str, object], groups: dict[str, list[str]], problem: str
) -> None:
    data = make_plan().model_dump(mode="json")
    data["gates"] |= {"policies": policies, "groups": groups}
    with pytest.raises(PlanError) as refused:
        parse_plan(data)
    assert problem in str(refused.value)


async def test_who_started_the_migration_may_not_approve_it_when_the_plan_forbids_it(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    gates = {"require": ["uat"], "approvers": ["alice", "bob"], "forbid_self_approval": True}
    plan = make_plan(gates=gates)
    async with migration(time_skipping_env, tmp_path, plan, memo={STARTED_BY_MEMO: "alice"}) as h:
        await h.at_gate("uat")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await h.handle.execute_update(
                "approve", GateDecision(gate="uat", sender="alice"), result_type=str
            )
        await h.handle.execute_update("approve", GateDecision(gate="uat", sender="bob"), result_type=str)
        result = await h.run_approving_all()
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "self-approval"
    assert cause.message == (
        "approve of uat refused: 'alice' started this migration, and gates.forbid_self_approval asks for "
        "another approver"
    )
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason


def test_a_quorum_is_counted_in_the_history_estimate() -> None:
    one = POLICY | {"policies": {"full-cutover": {"approvers": ["alice", "@sre"], "min_approvals": 1}}}
    single = estimate_history(make_plan(gates=one)).runs["traffic"].events
    quorum = estimate_history(make_plan(gates=POLICY)).runs["traffic"].events
    assert quorum == single + EVENTS_PER_APPROVAL, "the second approval of full-cutover"
