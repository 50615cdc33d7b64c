"""Whether the migration takes an approve or reject: one rule, for the Updates, the signals and the
query.

The Updates' validators refuse a decision by this rule (answered at once, nothing recorded), the
signal handlers too (recording why); the `decision_refusal` query answers with it for 0.6's CLI,
which asked before sending (retired in 0.9).
"""

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from cutover.models import GateDecision, MigrationStatus

Verb = Literal["approve", "reject"]
# The refusals about the gate itself: the CLI stops before sending (exit 2). A sender who is not an
# approver is the migration's to record: that decision is sent, refused, and kept in its timeline.
RefusalKind = Literal[
    "bad-input",
    "not-running",
    "unknown-gate",
    "gate-not-open",
    "not-an-approver",
    "already-approved",
    "not-an-operator",
    "self-approval",
]


class DecisionQuery(GateDecision):
    """Input of the decision_refusal query: the decision, and the signal that would carry it."""

    signal: Verb = "approve"


class DecisionRefusal(BaseModel):
    """Why the migration refuses (or would refuse) a decision, worded as its timeline records it."""

    kind: RefusalKind
    reason: str


def decision_refusal(
    decision: GateDecision,
    verb: str,
    status: MigrationStatus,
    approvers: Sequence[str],
    migration: str,
    starter: str | None = None,
) -> DecisionRefusal | None:
    """None when the migration takes the decision now; otherwise why not.

    status is the migration's (its gates, its open gate); approvers are the gate's; migration is
    its workflow id, named in the reason so a refusal read elsewhere (a terminal) says where;
    starter, who started it when the plan forbids them to approve it (gates.forbid_self_approval).
    """
    gate, open_gate = decision.gate, status.open_gate
    if gate not in status.gates:
        gates = ", ".join(status.gates) or "none"
        return DecisionRefusal(
            kind="unknown-gate",
            reason=f"{verb} refused: unknown gate {gate!r}; the gates of {migration} are {gates}",
        )
    if open_gate is None or open_gate.name != gate:
        now = f"open gate is {open_gate.name}" if open_gate else "no gate is open"
        return DecisionRefusal(
            kind="gate-not-open", reason=f"{verb} refused: gate {gate!r} is not open in {migration} ({now})"
        )
    if decision.sender not in approvers:
        return DecisionRefusal(
            kind="not-an-approver",
            reason=f"{verb} of {gate} refused: {decision.sender!r} is not an approver",
        )
    if verb == "approve" and starter is not None and decision.sender == starter:
        return DecisionRefusal(
            kind="self-approval",
            reason=f"approve of {gate} refused: {starter!r} started this migration, "
            "and gates.forbid_self_approval asks for another approver",
        )
    if verb == "approve" and decision.sender in open_gate.approved_by:
        return DecisionRefusal(
            kind="already-approved",
            reason=f"approve of {gate} refused: {decision.sender!r} approved it already "
            f"({len(open_gate.approved_by)} of {open_gate.needed} distinct approvals)",
        )
    return None
