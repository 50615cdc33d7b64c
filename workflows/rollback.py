"""Rollback and the undo set: blue's scaled-down workloads back up (after decommission), every exposed
service back to blue at once, then the CronJobs' schedules, then green's copies; an undo that keeps
failing waits for a human, and a run whose history grew long hands the rest to a run that only rolls
back."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import (
        Copies,
        MigrationActivities,
        Scaling,
        WeightChanges,
    )
    from cutover.models import CronHandover, EventKind, Outcome, Phase
    from cutover.notify.events import NotificationKind
    from cutover.plan.history_budget import COPIES_AT_ONCE
    from cutover.workflows.calls import call
    from cutover.workflows.migration_state import chunks, innermost_reason, names
    from cutover.workflows.options import UNDO, UNDO_RETRY, heartbeating
    from cutover.workflows.traffic_steps import TrafficSteps

CRONS_AT_ONCE = 20  # CronJob schedules handed back together in a rollback
COPIES_REMOVED_AT_ONCE = COPIES_AT_ONCE * 5  # green copies removed by one activity
In = TypeVar("In")


class Rollback(TrafficSteps):
    async def _rollback(self, reason: str) -> None:
        """Every exposed service back to blue at once, then the schedules, then green's copies; a run
        with a long history hands the rest to a run that only rolls back."""
        if self._carry.rollback is None:
            self._enter(Phase.ROLLING_BACK)
            self._status.outcome_reason = reason
            self._status.open_gate = None
            self._event(EventKind.ROLLBACK, f"rolling back: {reason}")
            self._notify(NotificationKind.ROLLBACK_STARTED, f"rolling back: {reason}")
            self._carry.rollback = reason
            self._metrics.rolled_back()
        if self._undo.uat_routes:
            routes = self._uat_routes(self._uat_match())
            description = "close the UAT route"
            await self._undo_step(description, MigrationActivities.close_uat_routes, routes)
            self._uat_route_closed("rolling back")
        if self._undo.scaled_down:
            await self._scale_back_up()
        if self._undo.routed:
            await self._route_back()
        await self._finish_groups_quietly()
        if self._run_is_long():
            await self._continue_as_new(rollback=reason)
        for services in chunks(
            sorted(self._undo.crons, key=lambda s: self._undo.crons[s], reverse=True), CRONS_AT_ONCE
        ):
            await asyncio.gather(*(self._hand_back(service) for service in services))
            if self._run_is_long():
                await self._continue_as_new(rollback=reason)
        while self._undo.copies:
            batch = self._undo.copies[-COPIES_REMOVED_AT_ONCE:]
            refs = [self._ref(self._workload(s), self.plan.target.name) for s in batch]
            description = f"remove {names(batch)} from green"
            await self._undo_step(description, MigrationActivities.remove_copies, Copies(refs=refs))
            del self._undo.copies[-len(batch) :]
            self._event(EventKind.UNDO, description)
            if self._run_is_long():
                await self._continue_as_new(rollback=reason)
        self._status.outcome = Outcome.ROLLED_BACK
        self._event(EventKind.ROLLBACK, "blue serves everything it served before the migration")
        self._notify(
            NotificationKind.ROLLBACK_FINISHED, "rolled back: blue serves everything it served before"
        )

    async def _route_back(self) -> None:
        """Every exposed service at blue's weights from before the migration, in one activity."""
        blue = self.plan.source.name
        changes = [self._weight(w, self._inventory.blue_weights.get(w.service, 0)) for w in self._exposed()]
        description = f"route {names([c.service for c in changes])} back to blue"
        await self._undo_step(description, MigrationActivities.set_weights, WeightChanges(changes=changes))
        self._undo.routed = False
        for change in changes:
            self._status.weights[change.service] = change.green_percent
        self._update_traffic_attribute()
        self._event(EventKind.UNDO, f"{description} (as in {blue} before the migration)")

    async def _scale_back_up(self) -> None:
        """Blue's scaled-down workloads back at their recorded replicas and available, COPIES_AT_ONCE
        an activity and every activity at once: traffic goes back only to a blue that can take it."""
        batches = chunks(list(self._undo.scaled_down), COPIES_AT_ONCE)
        await asyncio.gather(*(self._scale_up(batch) for batch in batches))

    async def _scale_up(self, services: Sequence[str]) -> None:
        blue, timeout = self.plan.source.name, self.plan.rollout.timeout
        scaling = Scaling(refs=[self._ref(self._workload(s), blue) for s in services], timeout=timeout)
        description = f"scale {names(services)} back up in blue and wait for their rollouts"
        config = heartbeating(timeout, UNDO_RETRY)
        await self._undo_step(description, MigrationActivities.restore_replicas, scaling, config)
        self._undo.scaled_down = [s for s in self._undo.scaled_down if s not in services]
        self._event(EventKind.UNDO, description)

    async def _hand_back(self, service: str) -> None:
        workload = self._workload(service)
        state = "suspended" if workload.suspended else "enabled"
        cronjobs = self.plan.cronjobs
        handover = CronHandover(
            service=service,
            namespace=workload.namespace,
            name=workload.name,
            enable_in=self.plan.source.name,
            disable_in=self.plan.target.name,
            keep_suspended=workload.suspended,
            active_jobs_timeout=cronjobs.active_jobs_timeout,
            since=self._undo.crons[service],
        )
        description = f"hand {service}'s schedule back to blue ({state}, as before)"
        config = heartbeating(cronjobs.active_jobs_timeout, UNDO_RETRY)
        await self._undo_step(description, MigrationActivities.hand_over_cron, handover, config)
        del self._undo.crons[service]
        self._event(EventKind.UNDO, description)

    async def _undo_step(
        self,
        description: str,
        method: Callable[[MigrationActivities, In], Awaitable[object]],
        arg: In,
        config: workflow.ActivityConfig = UNDO,
    ) -> None:
        """Retried a few times; then it waits for a human (`resume`) and tries again."""
        while True:
            self._step(f"undo: {description}")
            try:
                await call(method, arg, config)
                return
            except ActivityError as error:
                self._status.stuck_undo = description
                stuck = (
                    f"undo '{description}' keeps failing ({innermost_reason(error)}); send resume to retry"
                )
                self._event(EventKind.UNDO_STUCK, stuck)
                self._notify(NotificationKind.UNDO_STUCK, stuck)
                self._step(f"STUCK: undo '{description}' waits for a human (resume)")
                self._retry_undo = False
                # A flood while stuck: the next run waits on (its undo set is this one's).
                await workflow.wait_condition(lambda: self._retry_undo or self._run_is_long())
                self._status.stuck_undo = None
                if not self._retry_undo and self._carry.rollback is not None:
                    await self._continue_as_new(rollback=self._carry.rollback)
