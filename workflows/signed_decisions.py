"""Signed decisions (gates.verify): the approver's claim and its `ssh-keygen -Y sign` signature, checked
before an approve or reject counts.

The claim names the migration, its first run, the gate, the decision, the signer and an expiry
(cutover.signatures.claim); the workflow compares it with its own and the worker verifies the
signature against its allowed_signers file (ApprovalActivities). Every refused signature is audited
in the timeline: a forged or replayed approval is an event worth keeping. Decisions without a
signature count by name where the plan allows it, marked unverified in the timeline and review.
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.approval_activities import ApprovalActivities
    from cutover.models import EventKind, GateDecision
    from cutover.notify.events import NotificationKind
    from cutover.signatures.check import SignatureCheck
    from cutover.signatures.claim import DecisionClaim, claim_problem
    from cutover.workflows.calls import call
    from cutover.workflows.options import VERIFY
    from cutover.workflows.phases import Phases


class SignedDecisions(Phases):
    async def _verified(self, decision: GateDecision, verb: str) -> None:
        """Return when the decision may count (its key noted for the open gate); otherwise audit why
        and raise the refusal the Update answers with."""
        if decision.signature is None or decision.claim is None:
            if self.plan.gates.verify == "signature":
                self._refuse_signature(decision, verb, "unsigned, and gates.verify asks for a signature")
            return
        problem = self._claim_problem(decision, verb)
        if problem is None:
            check = SignatureCheck(
                claim=decision.claim, signature=decision.signature, principal=decision.sender
            )
            try:
                verdict = await call(ApprovalActivities.verify_decision_signature, check, VERIFY)
            except ActivityError as error:
                cause = error.cause
                problem = cause.message if isinstance(cause, ApplicationError) else str(error)
            else:
                problem = None if verdict.verified else verdict.reason
                if verdict.verified:
                    self._signed_by[decision.sender] = verdict.key_fingerprint or "a listed key"
        if problem is not None:
            self._refuse_signature(decision, verb, problem)

    def _claim_problem(self, decision: GateDecision, verb: str) -> str | None:
        assert decision.claim is not None
        try:
            claim = DecisionClaim.from_message(decision.claim.encode())
        except ValueError as error:
            return f"the signed claim is malformed: {error}"
        info = workflow.info()
        return claim_problem(
            claim,
            migration=info.workflow_id,
            run=info.first_execution_run_id,
            gate=decision.gate,
            decision=verb,
            signer=decision.sender,
            now=workflow.now(),
        )

    def _refuse_signature(self, decision: GateDecision, verb: str, why: str) -> None:
        reason = f"{verb} of {decision.gate} by {decision.sender} refused: {why}"
        self._event(EventKind.REFUSED, reason, decision.sender)
        self._notify(
            NotificationKind.DECISION_REFUSED, reason, decision.sender, gate=decision.gate, verified=False
        )
        raise ApplicationError(reason, type="bad-signature", non_retryable=True)
