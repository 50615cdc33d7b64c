"""A local environment for a plan (`cutover local init`): every workload the plan names in blue,
healthy and taking all the traffic; each one's configuration in both clusters, alike."""

from typing import Any

from cutover.models import WorkloadKind
from cutover.plan.model import Exposure, Plan, Service
from cutover.platform.local_state import digest, empty_state

REPLICAS = 2
SCHEDULE = "0 3 * * *"  # a CronJob's daily run; a snapshot of the real cluster has the real one
# Taken as reached through a Service where the plan says `exposure: discover`: the traffic steps are
# what a rehearsal most needs to show (edit the file, or snapshot the cluster, to say otherwise).
DISCOVERED_AS_EXPOSED = (WorkloadKind.DEPLOYMENT, WorkloadKind.STATEFULSET)


def config_name(service: Service) -> str:
    return f"configmap/{service.workload_name}-config"


def exposed(service: Service) -> bool:
    if service.exposure is Exposure.DISCOVER:
        return service.workload_kind in DISCOVERED_AS_EXPOSED
    return service.exposure is Exposure.EXPOSED


def workload_item(service: Service) -> dict[str, Any]:
    item: dict[str, Any] = {
        "replicas": 1 if service.workload_kind is WorkloadKind.CRONJOB else REPLICAS,
        "image": f"{service.workload_name}:current",
        "exposed": exposed(service),
        "ready": True,
        "labels": {"app.kubernetes.io/name": service.workload_name},
        "config_refs": [config_name(service)],
    }
    if service.workload_kind is WorkloadKind.CRONJOB:
        item |= {"schedule": SCHEDULE, "suspended": False, "exposed": False}
    return item


def state_from_plan(plan: Plan) -> dict[str, Any]:
    """Blue (the plan's source) with the plan's workloads; green (its target) with their configuration."""
    state = empty_state(plan.source.name, plan.target.name)
    blue, green = state["clusters"][plan.source.name], state["clusters"][plan.target.name]
    for service in plan.services:
        config = {"data": {"SETTING": digest(f"{service.namespace}/{service.workload_name}")}}
        key = f"{service.namespace}/{config_name(service)}"
        blue[key] = config
        green[key] = dict(config)
        blue[f"{service.namespace}/{service.workload}"] = workload_item(service)
    return state


def discovered_as_exposed(plan: Plan) -> list[str]:
    """The services `local init` took as exposed though the plan leaves it to discovery."""
    return [s.name for s in plan.services if s.exposure is Exposure.DISCOVER and exposed(s)]
