"""A plan checked against the clusters: run by preparation (worker) and before `cutover start` (CLI)."""

from dataclasses import dataclass, field

from cutover.models import Workload
from cutover.plan.model import Exposure, Plan
from cutover.platform.interfaces import Cluster


@dataclass
class PlanCheck:
    """The planned workloads as found in blue (classified), and every reason the plan cannot run."""

    workloads: list[Workload] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_plan(cluster: Cluster, plan: Plan) -> PlanCheck:
    """Missing environments or workloads, workloads green cannot run or already runs, config green lacks."""
    envs = cluster.environments()
    check = PlanCheck()
    for role, env in (("source", plan.source.name), ("target", plan.target.name)):
        if env not in envs:
            check.problems.append(f"{role}.name: environment {env!r} not found (have {', '.join(envs)})")
    if check.problems:
        return check
    for service in plan.services:
        kind, name = service.workload_kind, service.workload_name
        workload = cluster.find(plan.source.name, service.namespace, kind, name)
        if workload is None:
            check.problems.append(
                f"services: unknown service {service.name!r}: {service.workload} not found in "
                f"namespace {service.namespace!r} of {plan.source.name}"
            )
            continue
        if workload.unsupported:
            check.problems.append(
                f"{service.name}: {plan.target.name} cannot run {service.workload}: {workload.unsupported}"
            )
            continue
        if cluster.find(plan.target.name, service.namespace, kind, name) is not None:
            # A re-run would hand over from the state the first run left (e.g. blue's CronJob suspended).
            check.problems.append(
                f"{service.name}: {service.workload} already runs in namespace {service.namespace!r} of "
                f"{plan.target.name}: a migration already moved it, or something else owns it there; "
                f"cutover will not take it over (remove it from green or from the plan)"
            )
            continue
        config = cluster.config_problems(plan.source.name, plan.target.name, service.namespace, kind, name)
        check.problems += [f"{service.name}: {problem}" for problem in config]
        exposed = (
            workload.exposed
            if service.exposure == Exposure.DISCOVER
            else service.exposure == Exposure.EXPOSED
        )
        check.workloads.append(workload.model_copy(update={"service": service.name, "exposed": exposed}))
    return check
