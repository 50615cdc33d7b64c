"""The migration's journal: its status and timeline, the search attributes the Workflows list
filters on, the Web UI's details, and the worker's log lines."""

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.logs import get_logger
    from cutover.models import Event, EventKind, Phase
    from cutover.workflows.details import current_details
    from cutover.workflows.migration_state import SYSTEM, MigrationState
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
        self._status.record(Event(time=now, actor=actor, kind=kind, message=message))
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
        ):
            timeline[-1] = Event(time=last.time, actor=actor, kind=kind, message=f"{message} (after a burst)")
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
        workflow.set_current_details(current_details(self._status))
