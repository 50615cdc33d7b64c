"""The phase sequence of the practice, as units of the spine: preparation (leases, discovery, green's
capacity), the non-exposed services in batches, the exposed ones side by side at 0%, validation and
the traffic steps, full cutover and monitoring (blue the hot standby: cutover.workflows.standby), then
the leases given back and the review."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

from temporalio import workflow
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from cutover.activities.lease_activities import LeaseActivities, LeaseCheck
    from cutover.activities.migration_activities import MigrationActivities
    from cutover.journal import events_seen
    from cutover.leases import keeper_id, planned_workloads
    from cutover.models import (
        EventKind,
        MigrationStatus,
        Outcome,
        Phase,
        ReportRequest,
        TargetCapacity,
        Workload,
        WorkloadKind,
    )
    from cutover.notify.events import NotificationKind
    from cutover.plan.checks import Stage
    from cutover.plan.history_budget import COPIES_AT_ONCE
    from cutover.plan.model import traffic_gate
    from cutover.workflows.calls import call
    from cutover.workflows.leases import LeaseRequest, MigrationLeasesWorkflow
    from cutover.workflows.migration_state import MigrationStopped, fmt, names
    from cutover.workflows.options import (
        FORWARD,
        LEASE_TIMEOUT,
        LONG_CHILD_TASK_TIMEOUT,
        PROVISION_TIMEOUT,
        heartbeating,
    )
    from cutover.workflows.search_attributes import MIGRATION_PHASE
    from cutover.workflows.service_migration import ServiceMigrationInput, ServiceMigrationWorkflow
    from cutover.workflows.standby import Standby
    from cutover.workflows.summaries import keeper_summary
    from cutover.workflows.waits import rollout_failure


class Phases(Standby):
    async def _preparation(self) -> None:
        async def prepare() -> None:
            self._enter(Phase.PREPARATION)
            await self._take_leases()
            self._step("discover and classify workloads in blue; record blue's state")
            self._inventory = await self._act(MigrationActivities.discover, self.plan, FORWARD)
            self._carry.inventory = self._inventory
            for w in self._inventory.workloads:
                self._event(
                    EventKind.DISCOVERED,
                    f"{w.service}: {w.kind}/{w.name} "
                    f"{'exposed' if w.exposed else 'non-exposed'}, {w.replicas} replicas",
                )
            self._step("make sure green can schedule the migrated namespaces")
            capacity = TargetCapacity(namespaces=sorted({w.namespace for w in self._inventory.workloads}))
            provisioning = heartbeating(PROVISION_TIMEOUT)
            prepared = await self._act(MigrationActivities.prepare_target, capacity, provisioning)
            self._event(EventKind.TARGET, prepared)
            self._status.weights = dict(self._inventory.blue_weights)
            self._update_traffic_attribute()
            await self._run_checks(Stage.PREPARATION)
            await self._checkpoint()

        await self._unit(prepare)

    async def _take_leases(self) -> None:
        """Own every planned workload in blue and green before anything is read or changed."""
        self._step("lease the plan's workloads in blue and green")
        holder = workflow.info().workflow_id
        for role, env in (("source", self.plan.source.name), ("target", self.plan.target.name)):
            try:
                workloads = planned_workloads(self.plan, env)
                await workflow.start_child_workflow(
                    MigrationLeasesWorkflow.run,
                    LeaseRequest(holder=holder, workloads=workloads),
                    id=keeper_id(holder, role),
                    task_timeout=LONG_CHILD_TASK_TIMEOUT,
                    static_summary=keeper_summary(holder, env, len(workloads)),
                    # Outlives this run's continue-as-new; a keeper whose migration closed without
                    # releasing it is ended by the next migration needing its workloads.
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                )
            except WorkflowAlreadyStartedError:
                raise MigrationStopped(f"lease keeper {keeper_id(holder, role)} already runs") from None
            self._carry.keepers.append(keeper_id(holder, role))
        check = LeaseCheck(keepers=self._carry.keepers, timeout=LEASE_TIMEOUT)
        held = await self._act(LeaseActivities.await_leases, check, heartbeating(LEASE_TIMEOUT))
        if held:
            raise MigrationStopped("workloads leased by other migrations: " + "; ".join(held))
        self._event(
            EventKind.LEASES,
            f"holds the plan's workloads in {self.plan.source.name} and "
            f"{self.plan.target.name} until this migration ends",
        )

    async def _release_leases(self) -> None:
        """Blue serves what it served, or green serves everything: the workloads are free again."""
        if not self._carry.keepers:
            return
        for keeper in self._carry.keepers:
            try:
                await workflow.get_external_workflow_handle(keeper).signal(MigrationLeasesWorkflow.release)
            except FailureError:
                pass  # a keeper someone ended by hand has nothing to give back
        check = LeaseCheck(keepers=self._carry.keepers, timeout=LEASE_TIMEOUT)
        await call(LeaseActivities.await_released, check, heartbeating(LEASE_TIMEOUT))
        self._carry.keepers = []
        self._event(EventKind.LEASES, "gave the plan's workloads back")

    async def _non_exposed_migration(self) -> None:
        services = [w for w in self._inventory.workloads if not w.exposed]
        size = self.plan.non_exposed.batch_size
        batches = [services[i : i + size] for i in range(0, len(services), size)]
        await self._unit(self._enter_unit(Phase.NON_EXPOSED))
        for number, batch in enumerate(batches, start=1):
            await self._unit(partial(self._batch, number, len(batches), batch))

    async def _batch(self, number: int, of: int, batch: list[Workload]) -> None:
        batch_names = [w.service for w in batch]
        self._step(f"batch {number}/{of}: {', '.join(batch_names)}")
        self._event(EventKind.BATCH, f"batch {number}/{of}: {', '.join(batch_names)}")
        limit = self.plan.non_exposed.parallelism
        for i in range(0, len(batch), limit):
            # Let every sibling finish before a failure triggers rollback, so no undo races a deploy.
            results = await asyncio.gather(
                *(self._migrate_one(w) for w in batch[i : i + limit]), return_exceptions=True
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]
        await self._run_checks(Stage.NON_EXPOSED)
        await self._checkpoint()

    async def _migrate_one(self, workload: Workload) -> None:
        green = self._ref(workload, self.plan.target.name)
        self._undo.copies.append(workload.service)
        cronjobs = self.plan.cronjobs
        if workload.kind == WorkloadKind.CRONJOB:
            self._undo.crons[workload.service] = workflow.now()
        result = await self._child(
            ServiceMigrationWorkflow.run,
            ServiceMigrationInput(
                green=green,
                blue_env=self.plan.source.name,
                blue_suspended=workload.suspended,
                rollout_timeout=self.plan.rollout.timeout,
                active_jobs_timeout=cronjobs.active_jobs_timeout,
                first_run_timeout=cronjobs.first_run_timeout,
            ),
            id=f"{workflow.info().workflow_id}/{workload.service}",
        )
        self._event(EventKind.MIGRATED, result)

    async def _parallel_operation(self) -> None:
        await self._unit(self._enter_unit(Phase.PARALLEL))
        exposed = self._exposed()
        for i in range(0, len(exposed), COPIES_AT_ONCE):
            await self._unit(partial(self._deploy, exposed[i : i + COPIES_AT_ONCE]))
        settings = self.plan.parallel_operation
        elapsed, rounds = timedelta(0), []
        while elapsed < settings.duration:
            wait = min(settings.health_check_interval, settings.duration - elapsed)
            rounds.append((elapsed, wait))
            elapsed += wait
        for start, wait in rounds:
            await self._unit(partial(self._side_by_side, start, wait))

    async def _deploy(self, group: list[Workload]) -> None:
        """Deploy a few exposed services to green at 0% and wait for their rollouts, together."""
        self._step(f"deploy {names([w.service for w in group])} to green at 0% traffic")
        self._undo.copies += [w.service for w in group]
        waiting: list[str] = []
        results = await asyncio.gather(*(self._deploy_one(w, waiting) for w in group), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]

    async def _deploy_one(self, w: Workload, waiting: list[str]) -> None:
        """Deploy, then wait for the rollout; the step names the services still rolling out."""
        green = self._ref(w, self.plan.target.name)
        await self._act(MigrationActivities.deploy_copy, green, FORWARD)
        waiting.append(w.service)
        self._step(f"wait for {names(waiting)} to roll out in green")
        failure = await rollout_failure(green, self.plan.rollout.timeout, self._stopper())
        waiting.remove(w.service)
        if waiting:
            self._step(f"wait for {names(waiting)} to roll out in green")
        if failure:
            raise MigrationStopped(failure)

    async def _side_by_side(self, elapsed: timedelta, wait: timedelta) -> None:
        duration = self.plan.parallel_operation.duration
        self._step(f"bake side by side: {fmt(elapsed)} of {fmt(duration)}")
        await self._sleep(wait)
        # The timeline records the last round only: a week of rounds would bury everything else.
        await self._health_check_both(record=elapsed + wait >= duration)
        await self._run_checks(Stage.PARALLEL)

    async def _validation(self) -> None:
        await self._unit(self._enter_unit(Phase.VALIDATION))

        async def answers() -> None:
            # At 0% green has no users, so there is nothing to count or compare: check that both
            # answer; the analysis starts with the first traffic step's bake.
            self._step("check green answers before UAT")
            await self._health_check_both()
            await self._run_checks(Stage.VALIDATION)  # stress, comparison, end-to-end: before any user

        await self._unit(answers)
        await self._unit(partial(self._gate, "uat"))
        for weight in self.plan.partial_steps():
            await self._unit(partial(self._traffic_step, weight))
            await self._unit(partial(self._gate, traffic_gate(weight)))

    async def _full_cutover(self) -> None:
        async def final() -> None:
            self._enter(Phase.FULL_CUTOVER)
            await self._run_checks(Stage.FINAL)  # before the gate: its approvers see the results

        await self._unit(final)
        await self._unit(partial(self._gate, "full-cutover"))
        await self._unit(partial(self._traffic_step, 100))

        async def final_checks() -> None:
            self._step("final end-to-end and data checks")
            await self._health_check_both()
            await self._watch(100, self.plan.monitoring.window, "intensive monitoring", Stage.MONITORING)
            await self._finish_groups()
            await self._run_checks(Stage.MONITORING)
            self._event(EventKind.CUTOVER, "green serves 100%; blue stays as hot standby")

        await self._unit(final_checks)
        if self.plan.monitoring.decommission:
            await self._unit(self._decommission)
        self._close_standby()

    def _enter_unit(self, phase: Phase) -> Callable[[], Awaitable[None]]:
        async def enter() -> None:
            self._enter(phase)

        return enter

    async def _finish(self) -> MigrationStatus:
        await self._release_leases()
        await self._review()
        self._render_details()  # the workflow completes in this task: no later task renders them
        return self._status

    async def _review(self) -> None:
        self._status.phase = Phase.REVIEW
        self._step("write the post-release review")
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(Phase.REVIEW.value)])
        await self._flush_journal()
        request = ReportRequest(workflow_id=workflow.info().workflow_id, status=self._review_input())
        path = await call(MigrationActivities.write_report, request, FORWARD)
        self._status.report_path = path
        self._status.phase = Phase.DONE
        self._step(f"done: {self._status.outcome.value}")
        workflow.upsert_search_attributes([MIGRATION_PHASE.value_set(Phase.DONE.value)])
        self._set_outcome_attribute()
        self._event(EventKind.REVIEW, f"post-release review written to {path}")
        if self._status.outcome == Outcome.SUCCEEDED:
            self._notify(
                NotificationKind.SUCCEEDED, f"migration {self.plan.name} succeeded: green serves it all"
            )
        self._notify(
            NotificationKind.REVIEW_WRITTEN, f"post-release review written to {path}", review_location=path
        )
        await self._notifications_landed()
        await self._flush_journal()

    def _review_input(self) -> MigrationStatus:
        """The status without the events the store has (the review reads them there) and with its
        latest decisions (the groups stored them all)."""
        if self._unstored:  # the store failed: the status's own go along
            return self._status
        update = {"timeline": [], "timeline_omitted": events_seen(self._status)}
        return self._status.model_copy(update=update)
