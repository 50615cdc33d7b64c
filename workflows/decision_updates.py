"""approve, reject, pause, resume and abort as Workflow Updates: answered at once, and a refusal never
reaches the history.

Each Update's validator applies the rule its signal applies (cutover.workflows.decisions for
approve and reject, the plan's operators for pause and resume): a refused one gets its reason back,
typed by its kind (an ApplicationError whose type is the refusal's kind: the CLI's exit code), and
leaves nothing behind. An accepted one returns what it did: the gate opened, the approvals still
missing, paused. The abort Update returns once the rollback has started. The signals of the same
names stay, for the Web UI's Send a Signal and older clients (and abort, which must land even with
no worker up); a migration started on 0.5 takes the Updates through its own signal handlers.
"""

from collections.abc import Sequence

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from cutover.models import Control, GateDecision, Phase
    from cutover.workflow_inputs import Refused, read_input
    from cutover.workflows.decisions import DecisionRefusal, Verb
    from cutover.workflows.gates import NOT_RUNNING
    from cutover.workflows.handler_help import (
        ABORT_UPDATE_HELP,
        APPROVE_UPDATE_HELP,
        CONTROL_EXAMPLE,
        DECISION_EXAMPLE,
        PAUSE_UPDATE_HELP,
        REJECT_UPDATE_HELP,
        RESUME_UPDATE_HELP,
    )
    from cutover.workflows.signed_decisions import SignedDecisions

ROLLBACK_STARTED = (Phase.ROLLING_BACK, Phase.REVIEW, Phase.DONE)


class DecisionUpdates(SignedDecisions):
    @workflow.update(name="approve", description=APPROVE_UPDATE_HELP)
    async def approve_update(self, *inputs: object) -> str:
        self._guard_history()
        decision = self._decision_now("approve", inputs)  # as the validator found, unless it changed
        if self._v05:
            self._v05.approve(*inputs)
            return f"approval of gate {decision.gate} recorded"
        await self._verified(decision, "approve")
        # The gate may have moved while a worker checked the signature: the rule once more.
        return self._approval(self._decision_now("approve", inputs))

    @approve_update.validator
    def validate_approve(self, *inputs: object) -> None:
        self._decision_now("approve", inputs)

    @workflow.update(name="reject", description=REJECT_UPDATE_HELP)
    async def reject_update(self, *inputs: object) -> str:
        self._guard_history()
        decision = self._decision_now("reject", inputs)
        if self._v05:
            self._v05.reject(*inputs)
            return f"rejection of gate {decision.gate} recorded"
        await self._verified(decision, "reject")
        # The gate may have moved while a worker checked the signature: the rule once more.
        return self._rejection(self._decision_now("reject", inputs))

    @reject_update.validator
    def validate_reject(self, *inputs: object) -> None:
        self._decision_now("reject", inputs)

    @workflow.update(name="pause", description=PAUSE_UPDATE_HELP)
    def pause_update(self, *inputs: object) -> str:
        self._guard_history()
        control = self._control_now("pause", inputs)
        if self._v05:
            self._v05.pause(*inputs)
            return "pause sent"
        return self._pause(control)

    @pause_update.validator
    def validate_pause(self, *inputs: object) -> None:
        self._control_now("pause", inputs)

    @workflow.update(name="resume", description=RESUME_UPDATE_HELP)
    def resume_update(self, *inputs: object) -> str:
        self._guard_history()
        control = self._control_now("resume", inputs)
        if self._v05:
            self._v05.resume(*inputs)
            return "resume sent"
        return self._resume(control)

    @resume_update.validator
    def validate_resume(self, *inputs: object) -> None:
        self._control_now("resume", inputs)

    @workflow.update(name="abort", description=ABORT_UPDATE_HELP)
    async def abort_update(self, *inputs: object) -> str:
        """Recorded as the signal records it; answered once the rollback has started."""
        self._guard_history()
        control = self._control_now("abort", inputs)
        if self._v05:
            self._v05.abort(*inputs)
            v05 = self._v05
            await workflow.wait_condition(lambda: v05.status().phase in ROLLBACK_STARTED)
            return "abort recorded: rollback started"
        said = self._aborting(control)
        await workflow.wait_condition(lambda: self._status.phase in ROLLBACK_STARTED)
        return f"{said}; rollback started ({self._status.step})"

    @abort_update.validator
    def validate_abort(self, *inputs: object) -> None:
        self._control_now("abort", inputs)

    # ---- the rules, read-only: validators must not change the migration ---------------------
    def _decision_now(self, verb: Verb, inputs: Sequence[object]) -> GateDecision:
        read = read_input(inputs, GateDecision, DECISION_EXAMPLE)
        if isinstance(read, Refused):
            raise _refused(DecisionRefusal(kind="bad-input", reason=f"{verb} refused: {read.reason}"))
        if self._v05:
            refusal = self._v05.decision_refusal({**read.model_dump(mode="json"), "signal": verb})
        elif not self._running():
            refusal = DecisionRefusal(kind="not-running", reason=f"{verb} refused: {NOT_RUNNING}")
        else:
            refusal = self._decision_refusal(read, verb)
        if refusal is not None:
            raise _refused(refusal)
        return read

    def _control_now(self, verb: str, inputs: Sequence[object]) -> Control:
        read = read_input(inputs, Control, CONTROL_EXAMPLE)
        if isinstance(read, Refused):
            raise _refused(DecisionRefusal(kind="bad-input", reason=f"{verb} refused: {read.reason}"))
        if self._v05:
            return read
        if not self._running():
            raise _refused(DecisionRefusal(kind="not-running", reason=f"{verb} refused: {NOT_RUNNING}"))
        not_an_operator = None if verb == "abort" else self._not_an_operator(read.sender)
        if not_an_operator:
            raise _refused(
                DecisionRefusal(kind="not-an-operator", reason=f"{verb} refused: {not_an_operator}")
            )
        return read


def _refused(refusal: DecisionRefusal) -> ApplicationError:
    """The refusal as the Update's failure: its type is the refusal's kind, its message the reason."""
    return ApplicationError(refusal.reason, type=refusal.kind, non_retryable=True)
