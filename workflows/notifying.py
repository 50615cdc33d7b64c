"""Notifications: what the plan routes (plan.notify) goes out as it happens, beside the spine.

Each is one activity (NotifyActivities.notify) started without waiting, keyed by the workflow id and
the migration's count of notifications, so a retry, a replay or a new worker never posts it twice.
A destination that keeps failing costs a timeline line, never a step: the run only waits for the
notifications in flight before it ends or hands over to the next run. Refusals, pauses and resumes,
which a burst of input can repeat thousands of times, are told at most once a minute each.
"""

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.notify_activities import NotifyActivities
    from cutover.models import EventKind
    from cutover.notify.events import Notification, NotificationKind, NotifyRequest, notification_key
    from cutover.workflows.calls import call
    from cutover.workflows.journal import Journal
    from cutover.workflows.migration_state import SYSTEM
    from cutover.workflows.options import NOTIFY

# What people send can come in bursts of thousands (a script, a storm): each such kind is told at
# most once a minute, so a burst costs a few activities, not one per input.
INPUT_KINDS = frozenset(
    {NotificationKind.DECISION_REFUSED, NotificationKind.PAUSED, NotificationKind.RESUMED}
)
INPUTS_TOLD_EVERY = timedelta(minutes=1)


class Notifying(Journal):
    def _notify(self, kind: NotificationKind, message: str, actor: str = SYSTEM, **facts: Any) -> None:
        """Send it where the plan routes this kind; nowhere: nothing is scheduled (no history)."""
        destinations = self._plan.notify.destinations_for(kind) if self._plan else []
        if not destinations or self._hushed(kind):
            return
        self._status.notifications += 1
        info = workflow.info()
        notification = Notification(
            key=notification_key(info.workflow_id, self._status.notifications),
            kind=kind,
            migration=info.workflow_id,
            plan=self.plan.name,
            time=workflow.now(),
            actor=actor,
            message=message,
            **facts,
        )
        task = asyncio.create_task(
            self._send(NotifyRequest(notification=notification, destinations=destinations))
        )
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def _hushed(self, kind: NotificationKind) -> bool:
        if kind not in INPUT_KINDS:
            return False
        now, told = workflow.now(), self._inputs_told.get(kind)
        if told is not None and now - told < INPUTS_TOLD_EVERY:
            return True
        self._inputs_told[kind] = now
        return False

    async def _send(self, request: NotifyRequest) -> None:
        kind = request.notification.kind
        try:
            failures = await call(NotifyActivities.notify, request, NOTIFY)
        except ActivityError as error:
            cause = error.cause
            why = cause.message if isinstance(cause, ApplicationError) else str(error)
            self._event(EventKind.NOTIFICATION, f"{kind} not delivered after retries: {why}")
            return
        for failure in failures:
            self._event(
                EventKind.NOTIFICATION, f"{kind} not delivered to {failure.destination}: {failure.reason}"
            )

    async def _notifications_landed(self) -> None:
        """Before the run ends: the notifications in flight are delivered or given up (bounded by NOTIFY)."""
        await workflow.wait_condition(lambda: not self._sending)
