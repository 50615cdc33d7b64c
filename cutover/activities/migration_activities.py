"""Every side effect of a migration, over the platform interfaces.

Each activity is idempotent: it sets an absolute state (a copy exists, a weight is N) or
carries a key derived from the workflow and activity ids, so a retry never acts twice.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from cutover.logs import get_logger
from cutover.models import (
    AnalysisRequest,
    AnalysisResult,
    CronHandover,
    Inventory,
    ReportRequest,
    ServiceRef,
    WeightChange,
    Workload,
)
from cutover.plan import Exposure, Plan
from cutover.platform.interfaces import Cluster, MetricsSource, TrafficRouter
from cutover.report import render_review


class ServiceCheck(BaseModel):
    ref: ServiceRef
    healthy: bool


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
    def __init__(self, cluster: Cluster, router: TrafficRouter, metrics: MetricsSource, report_dir: Path):
        self.cluster = cluster
        self.router = router
        self.metrics = metrics
        self.report_dir = report_dir

    @activity.defn
    def discover(self, plan: Plan) -> Inventory:
        """Find every planned workload in blue and classify it; unknown ones fail the plan."""
        envs = self.cluster.environments()
        for role, env in (("source", plan.source.name), ("target", plan.target.name)):
            if env not in envs:
                raise ApplicationError(
                    f"{role}.name: environment {env!r} not found (have {envs})",
                    non_retryable=True,
                    type="PlanMismatch",
                )
        found: list[Workload] = []
        for service in plan.services:
            kind, name = service.workload.split("/", 1)
            workload = self.cluster.find(plan.source.name, service.namespace, kind, name)
            if workload is None:
                raise ApplicationError(
                    f"services: unknown service {service.name!r}: {service.workload} not found in "
                    f"namespace {service.namespace!r} of {plan.source.name}",
                    non_retryable=True,
                    type="PlanMismatch",
                )
            exposed = (
                workload.exposed
                if service.exposure == Exposure.DISCOVER
                else service.exposure == Exposure.EXPOSED
            )
            found.append(workload.model_copy(update={"service": service.name, "exposed": exposed}))
        weights = {w.service: self.router.green_percent(w.namespace, w.service) for w in found if w.exposed}
        _log(phase="preparation").info("discovered", workloads=len(found), weights=weights)
        return Inventory(workloads=found, blue_weights=weights)

    @activity.defn
    def deploy_copy(self, ref: ServiceRef) -> None:
        _log(service=ref.service).info("deploy copy", env=ref.env, replicas=ref.replicas)
        self.cluster.apply_copy(ref)

    @activity.defn
    def remove_copy(self, ref: ServiceRef) -> None:
        _log(service=ref.service).info("remove copy", env=ref.env)
        self.cluster.remove_copy(ref.env, ref.namespace, ref.kind, ref.name)

    @activity.defn
    def check_health(self, ref: ServiceRef) -> ServiceCheck:
        healthy = self.cluster.healthy(ref.env, ref.namespace, ref.kind, ref.name)
        _log(service=ref.service).info("health", env=ref.env, healthy=healthy)
        return ServiceCheck(ref=ref, healthy=healthy)

    @activity.defn
    def hand_over_cron(self, handover: CronHandover) -> list[str]:
        self.cluster.hand_over_cron(handover)
        enabled = self.cluster.cron_enabled_in(handover.namespace, handover.name)
        _log(service=handover.service).info("cron handed over", enabled_in=enabled)
        if enabled != [handover.enable_in]:
            raise ApplicationError(f"cronjob {handover.name} enabled in {enabled} after handover")
        return enabled

    @activity.defn
    def run_cron(self, ref: ServiceRef) -> bool:
        info = activity.info()
        key = f"{info.workflow_id}/{info.activity_id}"
        ok = self.cluster.run_cron(ref.env, ref.namespace, ref.name, key)
        _log(service=ref.service).info("cron run", env=ref.env, ok=ok)
        return ok

    @activity.defn
    def set_green_percent(self, change: WeightChange) -> None:
        _log(service=change.service).info("set weights", green=change.green_percent)
        self.router.set_green_percent(change)

    @activity.defn
    def analyse(self, request: AnalysisRequest) -> AnalysisResult:
        """Compare green against blue and against the plan's absolute limits."""
        green_err, green_p99 = self.metrics.sample(request.green_env, request.namespace, request.service)
        blue_err, blue_p99 = self.metrics.sample(request.blue_env, request.namespace, request.service)
        reasons = []
        if green_err > request.max_error_rate:
            reasons.append(f"green error rate {green_err:.4f} > limit {request.max_error_rate}")
        if green_err - blue_err > request.max_error_rate_increase:
            reasons.append(
                f"green error rate {green_err:.4f} exceeds blue {blue_err:.4f} "
                f"by more than {request.max_error_rate_increase}"
            )
        if green_p99 > request.max_p99_latency_ms:
            reasons.append(f"green p99 {green_p99:.0f}ms > limit {request.max_p99_latency_ms}ms")
        if blue_p99 > 0 and green_p99 / blue_p99 > request.max_latency_ratio:
            reasons.append(f"green p99 is {green_p99 / blue_p99:.2f}x blue")
        result = AnalysisResult(
            service=request.service,
            weight=request.weight,
            passed=not reasons,
            green_error_rate=green_err,
            blue_error_rate=blue_err,
            green_p99_ms=green_p99,
            blue_p99_ms=blue_p99,
            reasons=reasons,
        )
        _log(service=request.service).info("analysis", weight=request.weight, passed=result.passed)
        return result

    @activity.defn
    def write_report(self, request: ReportRequest) -> str:
        self.report_dir.mkdir(parents=True, exist_ok=True)
        path = self.report_dir / f"{request.workflow_id}.md"
        path.write_text(render_review(request.workflow_id, request.status))
        _log(phase="post-release-review").info("report written", path=str(path))
        return str(path)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.discover,
            self.deploy_copy,
            self.remove_copy,
            self.check_health,
            self.hand_over_cron,
            self.run_cron,
            self.set_green_percent,
            self.analyse,
            self.write_report,
        ]
