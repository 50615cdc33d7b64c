"""Gates, pause and abort: reading what people send, holding between steps, stopping on abort, and
the history guard that turns a flood of signals into a rollback while one is still possible."""

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.models import (
        STARTED_BY_MEMO,
        Control,
        EventKind,
        GateDecision,
        OpenGate,
        Phase,
        Receipt,
        SignalPayload,
    )
    from cutover.notify.events import NotificationKind
    from cutover.plan.model import DECOMMISSION_GATE, TimeoutAction
    from cutover.workflow_inputs import Refused, read_input
    from cutover.workflows.carry import GUARD_BYTES, GUARD_EVENTS
    from cutover.workflows.decisions import DecisionRefusal, Verb, decision_refusal
    from cutover.workflows.migration_state import SYSTEM, MigrationStopped, fmt
    from cutover.workflows.notifying import Notifying

NOT_RUNNING = "the migration is not running"
UNVERIFIED = "unverified"  # by name only: gates.verify name, or a signal
Payload = TypeVar("Payload", bound=SignalPayload)


class Gates(Notifying):
    # ---- what people send -----------------------------------------------------------------
    def _read(
        self, signal: str, inputs: Sequence[object], model: type[Payload], example: str
    ) -> Payload | None:
        """The signal's payload, or None after recording why it was refused."""
        self._guard_history()
        read = read_input(inputs, model, example)
        if isinstance(read, Refused):
            self._refuse(signal, read.reason, read.sender, read.request_id)
            return None
        if not self._running():
            self._refuse(signal, NOT_RUNNING, read.sender, read.request_id)
            return None
        return read

    def _running(self) -> bool:
        return self._plan is not None and self._status.phase != Phase.DONE

    def _refuse(self, signal: str, reason: str, sender: str, request_id: str | None) -> None:
        self._event(EventKind.REFUSED, f"{signal} refused: {reason}", sender)
        self._notify(NotificationKind.DECISION_REFUSED, f"{signal} refused: {reason}", sender, verified=False)
        if request_id:
            self._status.answer(Receipt(request_id=request_id, signal=signal, applied=False, message=reason))

    def _answer(self, sent: SignalPayload, signal: str, applied: bool, message: str) -> None:
        if sent.request_id:
            self._status.answer(
                Receipt(request_id=sent.request_id, signal=signal, applied=applied, message=message)
            )

    def _operator(self, control: Control, signal: str) -> bool:
        """Whether the plan lets the sender pause or resume; a refusal is recorded with why."""
        reason = self._not_an_operator(control.sender)
        if reason is None:
            return True
        self._refuse(signal, reason, control.sender, control.request_id)
        return False

    def _not_an_operator(self, sender: str) -> str | None:
        """Why the plan does not let sender pause or resume; None when it does (the Updates' rule too)."""
        if self.plan.may_operate(sender):
            return None
        return f"{sender!r} is not an operator (operators: {', '.join(self.plan.operators)})"

    def _approval(self, decision: GateDecision) -> str:
        """Count an accepted approval: the gate opens at its quorum of distinct people (its answer);
        short of it, the approval is recorded and the gate stays open."""
        gate = self._status.open_gate
        assert gate is not None, "an accepted approval names the open gate"
        gate.approved_by.append(decision.sender)
        self._metrics.decision(gate.name, "approve", self._status.gates)
        if len(gate.approved_by) >= gate.needed:
            self._decision = decision
            return f"approval of gate {decision.gate} recorded"
        missing = gate.needed - len(gate.approved_by)
        others = ", ".join(a for a in gate.approvers if a not in gate.approved_by)
        count = f"approval {len(gate.approved_by)} of {gate.needed}"
        verified = self._verification(decision.sender)
        line = f"gate {gate.name}: {count} ({verified}): {decision.comment}"
        self._event(EventKind.APPROVED, line, decision.sender)
        return f"{count} for gate {decision.gate} recorded; {missing} more needed (from {others})"

    def _rejection(self, decision: GateDecision) -> str:
        self._rejected = decision
        self._metrics.decision(decision.gate, "reject", self._status.gates)
        then = "blue stays as hot standby" if decision.gate == DECOMMISSION_GATE else "rolling back"
        return f"rejection of gate {decision.gate} recorded: {then}"

    def _pause(self, control: Control) -> str:
        if self._status.paused:
            return "already paused"
        self._status.paused = True
        self._flip(EventKind.PAUSED, control.reason or "paused", control.sender)
        self._notify(NotificationKind.PAUSED, control.reason or "paused", control.sender)
        return "paused: the migration holds at the next step boundary"

    def _resume(self, control: Control) -> str:
        if self._status.stuck_undo:
            self._retry_undo = True
        elif not self._status.paused:
            return "not paused: nothing to resume"
        self._status.paused = False
        self._flip(EventKind.RESUMED, control.reason or "resumed", control.sender)
        self._notify(NotificationKind.RESUMED, control.reason or "resumed", control.sender)
        return "resumed"

    def _aborting(self, control: Control) -> str:
        if self._abort is not None:
            return f"already aborted by {self._abort.sender}"
        self._abort = control
        self._event(EventKind.ABORT, control.reason or "abort requested", control.sender)
        return "abort recorded: rolling back to blue"

    def _accept(self, decision: GateDecision, verb: Verb) -> bool:
        """The signals' rule: the Updates' rule, and no signal where the plan asks for signatures."""
        refusal = self._decision_refusal(decision, verb)
        reason = refusal.reason if refusal else None
        if reason is None and self.plan.gates.verify == "signature":
            reason = (
                f"{verb} of {decision.gate} by signal refused: gates.verify asks for a signed decision, "
                f"sent as the {verb} Update (`cutover {verb} --sign-with KEY`)"
            )
        if reason is None:
            return True
        self._metrics.decision(decision.gate, "refused", self._status.gates)
        self._event(EventKind.REFUSED, reason, decision.sender)
        self._notify(
            NotificationKind.DECISION_REFUSED, reason, decision.sender, gate=decision.gate, verified=False
        )
        self._answer(decision, verb, False, reason)
        return False

    def _verification(self, sender: str) -> str:
        """How a counted decision at the open gate was verified, for its timeline line."""
        key = self._signed_by.get(sender)
        return f"signed by {key}" if key else UNVERIFIED

    def _decision_refusal(self, decision: GateDecision, verb: Verb) -> DecisionRefusal | None:
        """The rule for approve and reject: the signals apply it, the decision_refusal query reports it."""
        assert self._plan is not None  # both callers refuse everything while there is no valid plan
        gates = self._plan.gates
        starter = workflow.memo_value(STARTED_BY_MEMO, default=None, type_hint=str)
        return decision_refusal(
            decision,
            verb,
            self._status,
            gates.approvers_of(decision.gate),
            workflow.info().workflow_id,
            starter if gates.forbid_self_approval else None,
        )

    def _guard_history(self) -> None:
        """Roll back while Temporal still lets the workflow act: a flood of signals must not cut it off
        (the rollback routes everything back at once, then continues as new to do the rest)."""
        info = workflow.info()
        length, size = info.get_current_history_length(), info.get_current_history_size()
        if self._abort or self._plan is None or self._carry.rollback is not None:
            return
        if length < GUARD_EVENTS and size < GUARD_BYTES:
            return
        self._abort = Control(
            sender=SYSTEM,
            reason=f"this run's history is nearly full ({length:,} events, {size / 1e6:.1f} MB; a run may "
            f"use {GUARD_EVENTS:,} events or {GUARD_BYTES / 1e6:.0f} MB): rolling back while it still can",
        )
        self._event(EventKind.ABORT, self._abort.reason)

    # ---- gates ----------------------------------------------------------------------------
    async def _gate(self, name: str) -> None:
        await self._checkpoint()
        if not self.plan.needs_approval(name):
            return
        gates = self.plan.gates
        decided = await self._await_decision(name)
        if not decided and gates.on_timeout == TimeoutAction.ROLLBACK:
            self._event(EventKind.GATE_TIMEOUT, f"gate {name} timed out; plan says roll back")
            self._notify(NotificationKind.GATE_TIMED_OUT, f"gate {name} timed out; rolling back", gate=name)
            self._close_gate(decided)
            raise MigrationStopped(f"gate {name} timed out")
        if not decided:
            self._event(EventKind.GATE_TIMEOUT, f"gate {name} timed out; paused until a decision")
            self._notify(
                NotificationKind.GATE_TIMED_OUT,
                f"gate {name} timed out; waiting for a decision",
                **self._gate_facts(),
            )
            self._step(f"gate {name} timed out; waiting for a decision")
            await workflow.wait_condition(lambda: bool(self._decision or self._rejected or self._abort))
        self._close_gate(decided=True)
        self._stop_if_aborted()
        if self._rejected:
            rejected = self._rejected
            line = f"gate {name} ({self._verification(rejected.sender)}): {rejected.comment}"
            self._event(EventKind.REJECTED, line, rejected.sender)
            raise MigrationStopped(f"gate {name} rejected by {rejected.sender}: {rejected.comment}")
        assert self._decision is not None
        approved = self._decision
        line = f"gate {name} ({self._verification(approved.sender)}): {approved.comment}"
        self._event(EventKind.APPROVED, line, approved.sender)
        # An approval does not lift a pause: hold here before the next step moves traffic.
        await self._checkpoint()

    async def _await_decision(self, name: str) -> bool:
        """Open the gate and wait up to gates.timeout for a decision or an abort; False if none came."""
        gates = self.plan.gates
        now = workflow.now()
        note = self._gate_note(name)
        approvers, needed = gates.approvers_of(name), gates.quorum_of(name)
        self._status.open_gate = OpenGate(
            name=name,
            approvers=approvers,
            opened_at=now,
            deadline=now + gates.timeout,
            note=note,
            needed=needed,
            verify=gates.verify,
        )
        self._decision = self._rejected = None
        self._signed_by = {}
        self._step(f"waiting for approval of gate {name}")
        who = f"one of {', '.join(approvers)}" if needed == 1 else f"{needed} of {', '.join(approvers)}"
        waits = f"gate {name} waits for {who}"
        self._event(EventKind.GATE_OPEN, waits + (f"; {note}" if note else ""))
        self._notify(NotificationKind.GATE_OPENED, waits, **self._gate_facts())
        decided = lambda: self._decision or self._rejected  # noqa: E731
        lead = min(self.plan.notify.remind_before, gates.timeout / 2)
        if not self.plan.notify.destinations_for(NotificationKind.GATE_REMINDER) or lead <= timedelta(0):
            return await self._wait_for(decided, gates.timeout)
        if await self._wait_for(decided, gates.timeout - lead):
            return True
        self._notify(
            NotificationKind.GATE_REMINDER, f"gate {name} times out in {fmt(lead)}", **self._gate_facts()
        )
        return await self._wait_for(decided, lead)

    def _close_gate(self, decided: bool) -> None:
        """How long the open gate was open, and how it closed, go to the metrics."""
        gate = self._status.open_gate
        if gate is not None:
            how = "aborted" if self._abort else "rejected" if self._rejected else "approved"
            outcome = how if decided or self._abort else "timed-out"
            self._metrics.gate_closed(gate.name, outcome, workflow.now() - gate.opened_at)
        self._status.open_gate = None

    def _gate_facts(self) -> dict[str, Any]:
        """What a gate's notification says: who may decide, who did, how many are needed, by when, the
        command to run and how testers reach green."""
        gate = self._status.open_gate
        if gate is None:
            return {}
        sign = " --sign" if gate.verify == "signature" else ""
        command = f"cutover approve {workflow.info().workflow_id} --gate {gate.name} --as YOUR_NAME{sign}"
        return {
            "gate": gate.name,
            "approvers": gate.approvers,
            "approved_by": [f"{person} ({self._verification(person)})" for person in gate.approved_by],
            "needed": gate.needed,
            "deadline": gate.deadline,
            "command": command,
            "how_to_reach_green": gate.note or None,
        }

    def _gate_note(self, name: str) -> str:
        """What the approvers of an opening gate should know besides its name (none here)."""
        return ""

    # ---- pause and abort ------------------------------------------------------------------
    async def _wait_for(self, condition: Callable[[], object], timeout: timedelta) -> bool:
        """Wait for condition or abort; False when the timeout passed first."""
        try:
            await workflow.wait_condition(lambda: bool(condition() or self._abort), timeout=timeout)
        except TimeoutError:
            return False
        return True

    async def _sleep(self, duration: timedelta) -> None:
        await self._wait_for(lambda: False, duration)
        await self._checkpoint()

    async def _checkpoint(self) -> None:
        """Between steps: stop on abort, hold while paused."""
        self._stop_if_aborted()
        if self._status.paused:
            step = self._status.step
            self._step(f"paused (was: {step})")
            await workflow.wait_condition(lambda: not self._status.paused or bool(self._abort))
            self._stop_if_aborted()
            self._step(step)

    def _stop_if_aborted(self) -> None:
        self._guard_history()
        reason = self._abort_reason()
        if reason:
            raise MigrationStopped(reason)
