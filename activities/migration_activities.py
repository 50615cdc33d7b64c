"""Every side effect of a migration, over the platform interfaces.

Each activity is idempotent: it sets an absolute state (a copy exists, a weight is N) or
carries a key derived from the workflow and activity ids, so a retry never acts twice.
All are async (cutover.activities.running): short ones run their blocking body on a thread while
they heartbeat; the waits sleep on the event loop between looks, so an abort cancels them at once.
"""

import functools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from cutover.activities.cron_catch_up import run_missed
from cutover.activities.running import in_thread, platform_activity, poll_until, waiting_activity
from cutover.analysis import looks
from cutover.analysis.counting import BASELINE_PERIODS, Counted, CountRequest
from cutover.analysis.counts import LatencyThresholds, Window
from cutover.analysis.decision import Learned
from cutover.cron_ticks import ScheduleError
from cutover.file_names import file_name
from cutover.journal import journal_of_groups
from cutover.logs import get_logger
from cutover.models import (
    CronHandover,
    CronRunWait,
    HandoverOutcome,
    Inventory,
    JournalPageRequest,
    ReportRequest,
    RolloutWait,
    ServiceRef,
    TargetCapacity,
    WeightChange,
    WorkloadKind,
)
from cutover.plan.cluster_check import check_plan
from cutover.plan.model import Plan
from cutover.plan.uat import UatRoute
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.interfaces import (
    CapacityProvisioner,
    Cluster,
    MetricsSource,
    ReportStore,
    TrafficRouter,
    UatRouter,
    uat_routing_problem,
)
from cutover.report import render_review


class ServiceCheck(BaseModel):
    ref: ServiceRef
    healthy: bool


class Copies(BaseModel):
    """Copies to act on at once (a health round, a rollback's removals)."""

    refs: list[ServiceRef]


class WeightChanges(BaseModel):
    """Every exposed service's weight at once: one traffic step, or the rollback's way back to blue."""

    changes: list[WeightChange]


class UatRoutes(BaseModel):
    """The exposed services' UAT routes, opened or closed together."""

    routes: list[UatRoute]


class Scaling(BaseModel):
    """Workloads set back to their refs' replicas together, then awaited until each is available."""

    refs: list[ServiceRef]
    timeout: timedelta


def _log(**bound: object) -> Any:
    info = activity.info()
    return get_logger(
        workflow_id=info.workflow_id,
        run_id=info.workflow_run_id,
        activity=info.activity_type,
        attempt=info.attempt,
        **bound,
    )


class MigrationActivities:
    def __init__(
        self,
        cluster: Cluster,
        router: TrafficRouter,
        metrics: MetricsSource,
        report_dir: Path,
        reports: ReportStore,
        capacity: CapacityProvisioner | None = None,
        uat: UatRouter | None = None,
    ):
        self.cluster = cluster
        self.router = router
        self.metrics = metrics
        self.report_dir = report_dir
        self.reports = reports
        self.capacity = capacity
        self.uat = uat  # the testers' routes where the router cannot hold them (Gateway API)

    @activity.defn(name="discover")
    @platform_activity
    def discover(self, plan: Plan) -> Inventory:
        """Find and classify every planned workload in blue, recording its state for rollback.

        Refuses the plan, before anything changes, when a workload is missing, cannot run on the
        target, or references configuration that green lacks or holds differently.
        """
        check = check_plan(self.cluster, plan)
        if check.problems:
            raise ApplicationError(
                "preparation refused the plan: " + "; ".join(check.problems),
                non_retryable=True,
                type="PlanMismatch",
            )
        found = check.workloads
        weights = {w.service: self.router.green_percent(w.namespace, w.service) for w in found if w.exposed}
        _log(phase="preparation").info("discovered", workloads=len(found), weights=weights)
        return Inventory(workloads=found, blue_weights=weights)

    @activity.defn(name="prepare_target")
    @waiting_activity
    async def prepare_target(self, target: TargetCapacity) -> str:
        """Make sure green can schedule the namespaces (EKS Fargate profile); heartbeats while EKS works."""
        capacity = self.capacity
        if capacity is None:
            return "no Fargate profile configured for the worker; green's capacity is assumed"
        await in_thread(lambda: capacity.request(target.namespaces))
        arn = await poll_until(lambda: capacity.active_arn(target.namespaces), capacity.timeout)
        if arn is None:
            raise ApplicationError(
                f"{capacity.description} not ACTIVE within {capacity.timeout}",
                non_retryable=True,
                type="NotActive",
            )
        _log(phase="preparation").info("fargate profile active", arn=arn, namespaces=target.namespaces)
        return f"fargate profile {arn} active for namespaces {', '.join(sorted(target.namespaces))}"

    @activity.defn(name="deploy_copy")
    @platform_activity
    def deploy_copy(self, ref: ServiceRef) -> None:
        _log(service=ref.service).info("deploy copy", env=ref.env, replicas=ref.replicas)
        self.cluster.apply_copy(ref)

    @activity.defn(name="remove_copy")
    @platform_activity
    def remove_copy(self, ref: ServiceRef) -> None:
        _log(service=ref.service).info("remove copy", env=ref.env, scale_to_zero=ref.keep_at_zero)
        self.cluster.remove_copy(ref.env, ref.namespace, ref.kind, ref.name, scale_to_zero=ref.keep_at_zero)

    @activity.defn(name="remove_copies")
    @platform_activity
    def remove_copies(self, copies: Copies) -> None:
        """remove_copy for each (absent is fine): the rollback's last part, in one activity."""
        for ref in copies.refs:
            self.cluster.remove_copy(
                ref.env, ref.namespace, ref.kind, ref.name, scale_to_zero=ref.keep_at_zero
            )
        _log().info("removed copies", count=len(copies.refs))

    @activity.defn(name="check_health_all")
    @platform_activity
    def check_health_all(self, copies: Copies) -> list[str]:
        """One health round: every copy asked once; which are not available ("svc in env")."""
        sick = [
            f"{ref.service} in {ref.env}"
            for ref in copies.refs
            if not self.cluster.available(ref.env, ref.namespace, ref.kind, ref.name)
        ]
        _log().info("health round", copies=len(copies.refs), unhealthy=len(sick))
        return sick

    @activity.defn(name="check_health")
    @platform_activity
    def check_health(self, ref: ServiceRef) -> ServiceCheck:
        healthy = self.cluster.available(ref.env, ref.namespace, ref.kind, ref.name)
        _log(service=ref.service).info("health", env=ref.env, healthy=healthy)
        return ServiceCheck(ref=ref, healthy=healthy)

    @activity.defn(name="await_rollout")
    @waiting_activity
    async def await_rollout(self, wait: RolloutWait) -> bool:
        """True once the copy is rolled out and available; False if the plan's timeout passed first."""
        ref = wait.ref
        done = await poll_until(
            lambda: self.cluster.available(ref.env, ref.namespace, ref.kind, ref.name) or None, wait.timeout
        )
        _log(service=ref.service).info("rollout", env=ref.env, rolled_out=bool(done))
        return bool(done)

    @activity.defn(name="restore_replicas")
    @waiting_activity
    async def restore_replicas(self, scaling: Scaling) -> None:
        """Each workload back at its recorded replicas (that field alone), then every one available:
        a revert after decommission routes traffic back only to a blue that can take it."""
        cluster, refs = self.cluster, scaling.refs
        for ref in refs:
            await in_thread(
                functools.partial(
                    cluster.set_replicas, ref.env, ref.namespace, ref.kind, ref.name, ref.replicas
                )
            )

        def unavailable() -> list[str]:
            return [r.service for r in refs if not cluster.available(r.env, r.namespace, r.kind, r.name)]

        if await poll_until(lambda: not unavailable() or None, scaling.timeout):
            _log().info("replicas restored", workloads=len(refs))
            return
        waiting = await in_thread(unavailable)
        raise ApplicationError(
            f"{', '.join(waiting)} not available in {refs[0].env} within {scaling.timeout}",
            non_retryable=True,
            type="NotAvailable",
        )

    @activity.defn(name="hand_over_cron")
    @waiting_activity
    async def hand_over_cron(self, handover: CronHandover) -> HandoverOutcome:
        """Suspend in disable_in, let its running Jobs finish, resume in enable_in, then start there
        the runs whose scheduled time fell in between (cron_catch_up).

        A gap is safer than a double run: the schedule is never enabled in both clusters.
        """
        ns, name, cluster = handover.namespace, handover.name, self.cluster
        if await in_thread(lambda: cluster.find(handover.enable_in, ns, WorkloadKind.CRONJOB, name)) is None:
            raise ApplicationError(
                f"cronjob/{ns}/{name} does not exist in {handover.enable_in}",
                non_retryable=True,
                type="NotFound",
            )
        was_there = await in_thread(lambda: cluster.find(handover.disable_in, ns, WorkloadKind.CRONJOB, name))
        if was_there:
            await in_thread(lambda: cluster.set_cron_suspended(handover.disable_in, ns, name, True))
            drained = await poll_until(
                lambda: not cluster.active_cron_jobs(handover.disable_in, ns, name) or None,
                handover.active_jobs_timeout,
            )
            if not drained:
                running = await in_thread(lambda: cluster.active_cron_jobs(handover.disable_in, ns, name))
                raise ApplicationError(
                    f"cronjob/{ns}/{name} is suspended in {handover.disable_in} but its Jobs {running} "
                    f"still run after {handover.active_jobs_timeout}",
                    non_retryable=True,
                    type="ActiveJobs",
                )
        await in_thread(
            lambda: cluster.set_cron_suspended(handover.enable_in, ns, name, handover.keep_suspended)
        )
        enabled = await in_thread(lambda: cluster.cron_enabled_in(ns, name))
        expected = [] if handover.keep_suspended else [handover.enable_in]
        if enabled != expected:
            raise ApplicationError(f"cronjob {name} enabled in {enabled} after handover, expected {expected}")
        caught_up: list[str] = []
        if was_there:
            try:
                caught_up = await in_thread(lambda: run_missed(cluster, handover))
            except ScheduleError as error:
                _log(service=handover.service).warning("missed runs not caught up", error=str(error))
        _log(service=handover.service).info("cron handed over", enabled_in=enabled, caught_up=caught_up)
        return HandoverOutcome(enabled_in=enabled, caught_up=caught_up)

    @activity.defn(name="await_cron_run")
    @waiting_activity
    async def await_cron_run(self, wait: CronRunWait) -> bool:
        """Outcome of green's first scheduled run, heartbeating while it waits up to the plan's timeout."""
        ref, info = wait.ref, activity.info()
        key = f"{info.workflow_id}/{info.activity_id}"
        ok = await poll_until(
            lambda: self.cluster.first_run_outcome(ref.env, ref.namespace, ref.name, key), wait.timeout
        )
        if ok is None:
            raise ApplicationError(
                f"cronjob {ref.name} had no finished run in {ref.env} within {wait.timeout}",
                non_retryable=True,
                type="NoFirstRun",
            )
        _log(service=ref.service).info("cron run", env=ref.env, ok=ok)
        return ok

    @activity.defn(name="set_green_percent")
    @platform_activity
    def set_green_percent(self, change: WeightChange) -> None:
        _log(service=change.service).info("set weights", green=change.green_percent)
        self.router.set_green_percent(change)

    @activity.defn(name="look_at_counts")
    @platform_activity
    def look_at_counts(self, request: looks.LookRequest) -> list[looks.ServiceLook]:
        """One look at every watched service: at a step's first look blue's baseline first (its noise
        and p99), then the window's counts in both environments, judged."""
        window = timedelta(seconds=request.window_seconds)
        limits = request.limits
        seen = []
        for watched in request.services:
            if watched.state.baseline_due:
                baseline = self.metrics.baseline(
                    request.blue_env,
                    watched.namespace,
                    watched.service,
                    timedelta(seconds=request.interval_seconds),
                    BASELINE_PERIODS,
                    limits.max_p99_latency_ms,
                )
                watched = watched.model_copy(update={"state": watched.state.with_baseline(baseline)})
            latency = LatencyThresholds(watched.state.latency_threshold_ms, limits.max_p99_latency_ms)
            green, blue = (
                self.metrics.counts(env, watched.namespace, watched.service, window, latency)
                for env in (request.green_env, request.blue_env)
            )
            seen.append(looks.decide(watched, Window(green, blue), request))
        for each in seen:
            _log(service=each.service).info("look", verdict=each.verdict.value, green=each.green.requests)
        return seen

    @activity.defn(name="count_looks")
    @platform_activity
    def count_looks(self, request: CountRequest) -> list[Counted]:
        """One window's counts for every service of an analysis group, green and blue; at a step's
        first look what blue's baseline teaches first (its noise and p99, the slow threshold)."""
        window = timedelta(seconds=request.window_seconds)
        period = timedelta(seconds=request.interval_seconds)
        counted = []
        for each in request.services:
            learned, threshold = None, each.threshold_ms
            if each.learn:
                baseline = self.metrics.baseline(
                    request.blue_env, each.namespace, each.service, period, BASELINE_PERIODS, request.limit_ms
                )
                learned = Learned.from_baseline(baseline)
                threshold = learned.threshold_ms
            latency = LatencyThresholds(threshold, request.limit_ms)
            green, blue = (
                self.metrics.counts(env, each.namespace, each.service, window, latency)
                for env in (request.green_env, request.blue_env)
            )
            counted.append(Counted(service=each.service, window=Window(green, blue), learned=learned))
        _log().info("counted", services=len(counted))
        return counted

    @activity.defn(name="set_weights")
    @platform_activity
    def set_weights(self, weights: WeightChanges) -> None:
        """Every change at once (TrafficRouter.set_green_percents: concurrent, within rate limits)."""
        self.router.set_green_percents(weights.changes)
        _log().info("set weights", services=len(weights.changes))

    @activity.defn(name="open_uat_routes")
    @platform_activity
    def open_uat_routes(self, uat: UatRoutes) -> None:
        """Testers' requests to green, the public's where the weights say; each route read back."""
        router = self._uat_router()
        for route in uat.routes:
            router.open_uat_route(route)
            found = router.uat_route(route.namespace, route.service)
            if found != route.match:
                wanted = route.match
                raise TransientError(f"{route.key}: the UAT route reads back as {found}, expected {wanted}")
        _log().info("uat routes open", services=len(uat.routes), match=str(uat.routes[0].match))

    @activity.defn(name="close_uat_routes")
    @platform_activity
    def close_uat_routes(self, uat: UatRoutes) -> None:
        """Every route removed (absent is fine) and read back as gone."""
        router = self._uat_router()
        for route in uat.routes:
            router.close_uat_route(route.namespace, route.service)
            if router.uat_route(route.namespace, route.service) is not None:
                raise TransientError(f"{route.key}: the UAT route is still there after removing it")
        _log().info("uat routes closed", services=len(uat.routes))

    def _uat_router(self) -> UatRouter:
        if self.uat is not None:
            return self.uat
        if not isinstance(self.router, UatRouter):
            raise PermanentError(uat_routing_problem(self.router) or "the router cannot route by header")
        return self.router

    @activity.defn(name="store_journal")
    @platform_activity
    def store_journal(self, request: JournalPageRequest) -> None:
        """Keep one page of the migration's journal (idempotent: a retry replaces the same page)."""
        self.reports.put_page(request.workflow_id, request.page)
        page = request.page
        _log().info("journal stored", seq=page.seq, events=len(page.events), analyses=len(page.analyses))

    @activity.defn(name="write_report")
    @platform_activity
    def write_report(self, request: ReportRequest) -> str:
        """The review of every event and decision: the journal's stored pages with the status's own,
        and the analysis groups' pages (a migration that stored none, e.g. one of 0.5, gets the review
        of its status alone).
        Written to the worker's folder, and to the report store for the rest of the team."""
        pages = self.reports.pages(request.workflow_id)
        group_pages = journal_of_groups(self.reports.pages, request.workflow_id, request.status)
        review = render_review(request.workflow_id, request.status, pages, group_pages)
        self.report_dir.mkdir(parents=True, exist_ok=True)
        path = self.report_dir / f"{file_name(request.workflow_id)}.md"
        path.write_text(review)
        _log(phase="post-release-review").info("report written", path=str(path), pages=len(pages))
        address = self.reports.put_review(request.workflow_id, review)
        _log(phase="post-release-review").info("report stored", address=address)
        return str(path)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.discover,
            self.prepare_target,
            self.deploy_copy,
            self.remove_copy,
            self.check_health,
            self.await_rollout,
            self.hand_over_cron,
            self.await_cron_run,
            self.set_green_percent,
            self.set_weights,
            self.check_health_all,
            self.remove_copies,
            self.look_at_counts,
            self.count_looks,
            self.write_report,
            self.store_journal,
            self.restore_replicas,
            self.open_uat_routes,
            self.close_uat_routes,
        ]
