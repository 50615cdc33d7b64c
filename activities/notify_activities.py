"""Telling people: one activity sends one notification to the destinations the plan routes it to.

Each destination is marked in the ledger once it took the notification (its key: the workflow id
and the migration's notification count), so a retried activity, a replay or a worker killed
mid-send posts to the others only. A destination that keeps failing is retried a bounded number of
times (cutover.workflows.options.NOTIFY); the migration records that, never waits or fails on it.
"""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from cutover.notify.config import NotificationsConfig
from cutover.notify.events import DeliveryFailure, NotifyRequest
from cutover.notify.ledger import SentLedger


class NotifyActivities:
    def __init__(self, config: NotificationsConfig, ledger: SentLedger, namespace: str):
        self.config = config
        self.ledger = ledger
        self.namespace = namespace

    @activity.defn
    async def notify(self, request: NotifyRequest) -> list[DeliveryFailure]:
        """Failures no retry can mend (an unknown destination, a missing variable); a failure a retry
        may mend raises, so the activity is tried again for those destinations alone."""
        from cutover.notify.delivery import deliver  # apprise and httpx: where activities run, not workflows

        failures = await deliver(request, self.config, self.ledger, self.namespace)
        passing = [failure for failure in failures if not failure.permanent]
        if passing:
            reasons = "; ".join(f"{failure.destination}: {failure.reason}" for failure in passing)
            raise ApplicationError(reasons, type="NotDelivered")
        return failures
