"""The standby window: from the moment the 100% step has set the weights until the migration moves on
to give its workloads back, blue is the hot standby. `revert` (an audited Update) sends everything
back to blue by the abort's path; after the monitoring window the plan's optional `decommission` gate
scales blue down, each workload registered as an undo first, so a revert scales it back up before any
traffic returns to it."""

from collections.abc import Sequence

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import Copies, MigrationActivities
    from cutover.models import Control, EventKind, Outcome, Phase, Workload, WorkloadKind
    from cutover.plan.history_budget import COPIES_AT_ONCE
    from cutover.plan.model import DECOMMISSION_GATE
    from cutover.workflow_inputs import Refused, read_input
    from cutover.workflows.gates import NOT_RUNNING
    from cutover.workflows.handler_help import REVERT_EXAMPLE
    from cutover.workflows.migration_state import (
        NAMES_SHOWN,
        MigrationStopped,
        chunks,
        innermost_reason,
        names,
    )
    from cutover.workflows.options import FORWARD
    from cutover.workflows.rollback import Rollback

SCALED_KINDS = (WorkloadKind.DEPLOYMENT, WorkloadKind.STATEFULSET)  # CronJobs are suspended in blue already
V05_REFUSAL = "this migration runs 0.5's code, which has no revert; use abort"
NO_REASON = "reason: must say why (it goes into the timeline and the review)"
NOT_CUT_OVER = (
    "not cut over yet: use abort (revert is for the standby window, from the 100% step to the end of "
    "monitoring and the decommission gate)"
)
WINDOW_CLOSED = "the standby window has closed: the migration succeeded and is giving its workloads back"
KEPT = "blue stays as hot standby (its workloads keep their replicas); the migration succeeds"


class Standby(Rollback):
    # ---- revert ---------------------------------------------------------------------------
    def _read_revert(self, inputs: Sequence[object]) -> Control | str:
        """The revert to take now, or why not in one line: the validator's rule, read without a change."""
        if self._v05:
            return V05_REFUSAL
        read = read_input(inputs, Control, REVERT_EXAMPLE)
        if isinstance(read, Refused):
            return read.reason
        if not read.reason.strip():
            return NO_REASON
        return self._standby_refusal() or read

    def _standby_refusal(self) -> str | None:
        if not self._running():
            return NOT_RUNNING
        stopping = self._carry.rollback or self._abort_reason()
        if stopping:
            return f"already rolling back: {stopping}"
        if self._status.outcome is not Outcome.RUNNING:
            return WINDOW_CLOSED
        return None if self._cut_over() else NOT_CUT_OVER

    def _cut_over(self) -> bool:
        """Green serves 100%: the full-cutover phase once its step set every exposed service's weight
        (a plan without exposed services: the whole phase)."""
        at_full = all(self._status.weights.get(w.service) == 100 for w in self._exposed())
        return self._status.phase == Phase.FULL_CUTOVER and at_full

    def _take_revert(self, revert: Control) -> str:
        """Audited, then the abort's path: every wait wakes, the step in flight is cancelled, and the
        rollback routes every exposed service back in one activity (after scaling blue back up)."""
        self._carry.reverted = True
        self._abort = Control(sender=revert.sender, reason=f"reverted by {revert.sender}: {revert.reason}")
        self._status.blue_weights = {
            w.service: self._inventory.blue_weights.get(w.service, 0) for w in self._exposed()
        }
        self._event(EventKind.REVERTED, f"reverted in the standby window: {revert.reason}", revert.sender)
        first = "scale blue back up, then " if self._undo.scaled_down else ""
        return f"reverting: {first}every exposed service back to blue at once, then the rest rolled back"

    def _abort_reason(self) -> str | None:
        """A revert names itself in the rollback's reason and the review: `reverted by alice: why`."""
        if self._abort is not None and self._carry.reverted:
            return self._abort.reason
        return super()._abort_reason()

    def _close_standby(self) -> None:
        """The window closes as the migration moves on to give its workloads back: a revert (or abort)
        taken up to this moment still rolls back (it may have landed with the last step's result)."""
        reason = self._abort_reason()
        if reason:
            raise MigrationStopped(reason)

    # ---- decommission ---------------------------------------------------------------------
    async def _decommission(self) -> None:
        """The plan's decommission gate after the monitoring window: approved, blue scales to zero;
        rejected or timed out, blue stays. Neither rolls back; a failed scale-down puts blue back."""
        if not await self._decommission_approved():
            return
        scaled = [w for w in self._inventory.workloads if w.kind in SCALED_KINDS and w.replicas > 0]
        try:
            await self._scale_down(scaled)
        except ActivityError as error:
            why = innermost_reason(error)
            self._event(EventKind.DECOMMISSION, f"scaling blue to zero failed ({why}): scaling it back up")
            await self._scale_back_up()
            self._event(EventKind.DECOMMISSION, KEPT)
            return
        self._event(EventKind.DECOMMISSION, self._scaled_to_zero(scaled))
        await self._checkpoint()

    async def _decommission_approved(self) -> bool:
        await self._checkpoint()
        decided = await self._await_decision(DECOMMISSION_GATE)
        self._close_gate(decided)
        self._stop_if_aborted()
        if not decided:
            self._event(EventKind.GATE_TIMEOUT, f"gate {DECOMMISSION_GATE} timed out; {KEPT}")
            return False
        if self._rejected:
            comment = self._rejected.comment
            self._event(
                EventKind.REJECTED, f"gate {DECOMMISSION_GATE}: {comment}; {KEPT}", self._rejected.sender
            )
            return False
        assert self._decision is not None
        self._event(
            EventKind.APPROVED, f"gate {DECOMMISSION_GATE}: {self._decision.comment}", self._decision.sender
        )
        await self._checkpoint()  # an approval does not lift a pause
        return True

    async def _scale_down(self, scaled: list[Workload]) -> None:
        """COPIES_AT_ONCE an activity, each batch registered as an undo before it acts."""
        blue = self.plan.source.name
        for batch in chunks(scaled, COPIES_AT_ONCE):
            self._undo.scaled_down += [w.service for w in batch]
            self._step(f"scale {names([w.service for w in batch])} to zero in blue")
            refs = [self._ref(w, blue).model_copy(update={"keep_at_zero": True}) for w in batch]
            await self._act(MigrationActivities.remove_copies, Copies(refs=refs), FORWARD)

    def _scaled_to_zero(self, scaled: list[Workload]) -> str:
        """What the review keeps: what was scaled down, and how each comes back once the migration ended."""
        blue = self.plan.source.name
        if not scaled:
            return f"blue ({blue}) has no Deployment or StatefulSet to scale down"
        commands = "; ".join(
            f"kubectl -n {w.namespace} scale {w.kind}/{w.name} --replicas={w.replicas}"
            for w in scaled[:NAMES_SHOWN]
        )
        more = (
            f" (and {len(scaled) - NAMES_SHOWN} more, each at its replicas before)"
            if len(scaled) > NAMES_SHOWN
            else ""
        )
        return (
            f"blue ({blue}) scaled to zero: {names([w.service for w in scaled])}; the objects stay, so "
            f"blue comes back with, against {blue}: {commands}{more}"
        )
