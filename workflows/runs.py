"""Runs: the spine is a sequence of units, and a run whose history grew long hands the migration to
a new run between two of them (continue-as-new), carrying only what the next run needs."""

from collections.abc import Awaitable, Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.models import TIMELINE_HEAD
    from cutover.plan.history_budget import FLUSH_AT, RUN_EVENTS
    from cutover.workflows.carry import CARRIED_ANALYSES, CARRIED_EVENTS, RUN_BYTES
    from cutover.workflows.gates import Gates
    from cutover.workflows.migration_state import RunFull


class Runs(Gates):
    async def _unit(self, body: Callable[[], Awaitable[None]]) -> None:
        """One unit of the spine: skipped when an earlier run did it; after it, a long run hands over."""
        self._units += 1
        if self._units <= self._carry.units_done:
            return
        await self._before_unit()
        await body()
        self._carry.units_done = self._units
        await self._flush_journal(at_least=FLUSH_AT)
        long = self._run_is_long() or workflow.info().is_continue_as_new_suggested()
        if long and not self._groups:  # the analysis groups are children: they end with this run
            raise RunFull()

    async def _before_unit(self) -> None:
        """What holds a unit before it starts: a change freeze (cutover.workflows.freezing)."""

    def _run_is_long(self) -> bool:
        info = workflow.info()
        return info.get_current_history_length() > RUN_EVENTS or info.get_current_history_size() > RUN_BYTES

    async def _continue_as_new(self, rollback: str | None = None) -> None:
        """Hand the migration to a new run (one that only rolls back, with `rollback`)."""
        await self._notifications_landed()
        await self._flush_journal()
        await workflow.wait_condition(workflow.all_handlers_finished)
        status = self._status.model_copy(deep=True)
        if len(status.timeline) > CARRIED_EVENTS:  # the first events and the latest, as record() keeps
            dropped = len(status.timeline) - CARRIED_EVENTS
            del status.timeline[TIMELINE_HEAD : TIMELINE_HEAD + dropped]
            status.timeline_omitted += dropped
        if len(status.analyses) > CARRIED_ANALYSES:  # the groups stored every decision
            status.analyses_omitted += len(status.analyses) - CARRIED_ANALYSES
            del status.analyses[:-CARRIED_ANALYSES]
        carry = self._carry.model_copy(
            update={"status": status, "abort": self._abort, "rollback": rollback, "undo": self._undo}
        )
        self._render_details()
        workflow.continue_as_new(args=[self.plan, carry])
