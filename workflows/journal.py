"""The migration's journal: its status and timeline, the search attributes the Workflows list
filters on, the Web UI's details, the worker's log lines, and the pages of events and decisions
flushed to the report store (the status keeps only the first and latest; the store keeps all; the
analysis groups store the decisions)."""

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.journal import count_page
    from cutover.logs import get_logger
    from cutover.models import AnalysisResult, Event, EventKind, JournalPage, JournalPageRequest, Phase
    from cutover.plan.history_budget import PAGE_EVENTS
    from cutover.workflows.calls import call
    from cutover.workflows.details import current_details
    from cutover.workflows.migration_state import SYSTEM, MigrationState
    from cutover.workflows.options import JOURNAL
    from cutover.workflows.search_attributes import (
        GREEN_TRAFFIC_PERCENT,
        MIGRATION_OUTCOME,
        MIGRATION_PHASE,
    )

INPUT_EVENTS = frozenset({EventKind.REFUSED, EventKind.PAUSED, EventKind.RESUMED})
INPUT_LOG_LINES = 10  # per workflow task; the timeline keeps every one


class Journal(MigrationState):
    def _enter(self, phase: Phase) -> None:
        self._status.phase = phase
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(phase.value)])
        self._event(EventKind.PHASE, f"entered {phase.value}")

    def _step(self, step: str) -> None:
        self._status.step = step
        self._publish_details()

    def _set_outcome_attribute(self) -> None:
        """running / succeeded / rolled-back in the Workflows list."""
        workflow.upsert_search_attributes([MIGRATION_OUTCOME.value_set(self._status.outcome.value)])

    def _update_traffic_attribute(self) -> None:
        weights = self._status.weights.values()
        workflow.upsert_search_attributes([GREEN_TRAFFIC_PERCENT.value_set(max(weights, default=0))])

    def _event(self, kind: EventKind, message: str, actor: str = SYSTEM) -> None:
        now = workflow.now()
        event = Event(time=now, actor=actor, kind=kind, message=message)
        self._status.record(event)
        self._unstored.append(event)
        if not workflow.unsafe.is_replaying() and self._worth_logging(kind, now):
            info = workflow.info()
            get_logger(workflow_id=info.workflow_id, run_id=info.run_id, phase=self._status.phase.value).info(
                message, kind=kind, actor=actor
            )
        self._publish_details()

    def _flip(self, kind: EventKind, message: str, actor: str) -> None:
        """Pause/resume: a burst by one person in one moment leaves one line, the final state."""
        timeline = self._status.timeline
        last = timeline[-1] if timeline else None
        if (
            last
            and last.kind in (EventKind.PAUSED, EventKind.RESUMED)
            and last.actor == actor
            and last.time == workflow.now()
            and self._unstored  # the line it replaces is not in the store yet
        ):
            timeline[-1] = Event(time=last.time, actor=actor, kind=kind, message=f"{message} (after a burst)")
            self._unstored[-1] = timeline[-1]
            self._publish_details()
            return
        self._event(kind, message, actor)

    def _worth_logging(self, kind: EventKind, now: datetime) -> bool:
        """Inputs (refusals, pause/resume) log a few lines per moment: a burst must not stall the task."""
        if kind not in INPUT_EVENTS:
            return True
        moment, logged = self._input_logs
        logged = logged + 1 if moment == now else 1
        self._input_logs = (now, logged)
        return logged <= INPUT_LOG_LINES

    def _publish_details(self) -> None:
        """Mark the UI's details stale: a burst of inputs costs one rendering, done once per workflow
        task by _keep_details_current, not one per signal (handlers stay constant-time)."""
        self._details_stale = True

    async def _keep_details_current(self) -> None:
        """Runs beside the spine for the whole run: renders the details after the handlers of a task."""
        while True:
            await workflow.wait_condition(lambda: self._details_stale)
            self._render_details()

    def _render_details(self) -> None:
        self._details_stale = False
        workflow.set_current_details(current_details(self._status))
        self._metrics.refresh(self._status)

    def _decided(self, result: AnalysisResult) -> None:
        """The status keeps the latest decisions; the analysis groups store every one."""
        self._status.add_analysis(result)
        self._metrics.verdict(result.verdict)

    async def _flush_journal(self, at_least: int = 1) -> None:
        """Store what was recorded since the last page, in pages, once there is at_least of it.
        A store that keeps failing costs the store those lines (the status and history keep them),
        never the migration."""
        while self._unstored and len(self._unstored) >= at_least:
            page = JournalPage(
                seq=self._status.journal_pages, events=self._unstored[:PAGE_EVENTS], analyses=[]
            )
            request = JournalPageRequest(workflow_id=workflow.info().workflow_id, page=page)
            try:
                await call(MigrationActivities.store_journal, request, JOURNAL)
            except ActivityError:
                return  # tried again at the next flush
            del self._unstored[: len(page.events)]
            count_page(self._status, page)
