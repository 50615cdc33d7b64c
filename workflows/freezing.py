"""Change freezes: before each unit of the spine (a batch, a gate, a traffic step), the migration
asks whether its environments are frozen (`cutover freeze`, or a window of the worker's calendar)
and holds there until the freeze ends: no weight moves and no gate opens while it holds, and abort
and rollback still run.

The question is a local activity (one marker in the history). A freeze with an end is waited out on
one timer; one without is looked at again every FREEZE_RECHECK, and `cutover unfreeze` wakes the
migrations it held at once (the freeze_lifted signal). A long hold that fills the run hands the
migration to a new run, which asks again.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.freeze_activities import FreezeActivities
    from cutover.freezes.orders import FreezeStateRequest
    from cutover.freezes.windows import ActiveFreeze
    from cutover.models import EventKind
    from cutover.notify.events import NotificationKind
    from cutover.workflows.migration_state import RunFull
    from cutover.workflows.options import CHANGE_FREEZES, FREEZE_LOOKUP
    from cutover.workflows.runs import Runs

FREEZE_RECHECK = timedelta(minutes=15)  # a freeze without an end; `cutover unfreeze` wakes at once
LOOKUP_FAILED_RECHECK = timedelta(minutes=1)


class Freezing(Runs):
    async def _before_unit(self) -> None:
        """Return once none of the plan's environments is frozen; raise RunFull when holding has made
        the run long (its next run asks again)."""
        if not workflow.patched(CHANGE_FREEZES):
            return
        freeze = await self._freeze_now()
        if freeze is None:
            return
        step = self._status.step
        while freeze is not None:
            said = freeze.describe() if isinstance(freeze, ActiveFreeze) else freeze
            if self._status.frozen != said:
                self._status.frozen = said
                self._event(EventKind.FROZEN, f"held by a change freeze: {said}")
                self._notify(NotificationKind.FROZEN, f"held by a change freeze: {said}")
            self._step(f"frozen: {said}; holding before the next step")
            self._thawed = False
            await self._wait_for(lambda: self._thawed, self._recheck_in(freeze))
            self._stop_if_aborted()
            if self._run_is_long() and not self._groups:
                raise RunFull()
            freeze = await self._freeze_now()
        self._status.frozen = None
        self._event(EventKind.FROZEN, "the change freeze is over: going on")
        self._step(step)

    async def _freeze_now(self) -> ActiveFreeze | str | None:
        """The freeze holding the plan's environments, None, or why nobody could tell (held too)."""
        envs = list(dict.fromkeys([self.plan.source.name, self.plan.target.name]))
        request = FreezeStateRequest(envs=envs, at=workflow.now())
        try:
            return await workflow.execute_local_activity_method(
                FreezeActivities.freeze_state, request, **FREEZE_LOOKUP
            )
        except ActivityError as error:
            return f"cannot tell whether {', '.join(envs)} is frozen ({error.cause or error}); asking again"

    def _recheck_in(self, freeze: ActiveFreeze | str) -> timedelta:
        if isinstance(freeze, str):
            return LOOKUP_FAILED_RECHECK
        if freeze.until is None:
            return FREEZE_RECHECK
        return max(freeze.until - workflow.now(), timedelta(seconds=1))
