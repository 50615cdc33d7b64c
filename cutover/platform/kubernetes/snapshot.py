"""A namespace of a real cluster as the local environment holds it (`cutover snapshot`): its
workloads (replicas, image, labels, readiness, whether a Service, Ingress or HTTPRoute reaches them,
what keeps them off Fargate), their CronJobs' schedules, and the ConfigMaps and Secrets they use as
key digests. A value never leaves the call that read it: digests are taken as the object is read."""

from collections.abc import Iterable
from typing import Any

from cutover.models import WorkloadKind
from cutover.platform.kubernetes.api import KINDS
from cutover.platform.kubernetes.cluster import KubernetesCluster
from cutover.platform.kubernetes.config_parity import ConfigRef, config_refs

Item = dict[str, Any]


def namespace_objects(
    cluster: KubernetesCluster, env: str, namespace: str, also: Iterable[str] = ()
) -> dict[str, Item]:
    """NAMESPACE/KIND/NAME -> the item as cutover.platform.local_state describes it: the namespace's
    workloads, the ConfigMaps and Secrets they use, and those named in `also` (configmap/NAME or
    secret/NAME: what another environment's workloads use). Each is read by name (`get`, as the
    worker's roles allow), never listed."""
    found: dict[str, Item] = {}
    workloads = {(w.kind, w.name): w for w in cluster.discover(env, namespace, "")}
    for kind in KINDS:
        for obj in cluster._workloads(env, namespace, kind, ""):
            name = obj["metadata"]["name"]
            workload = workloads[(WorkloadKind(kind), name)]
            refs = config_refs(obj)
            item: Item = {
                "replicas": workload.replicas,
                "image": workload.image,
                "exposed": workload.exposed,
                "ready": cluster.available(env, namespace, kind, name),
                "labels": obj["metadata"].get("labels") or {},
                "config_refs": [f"{ref.kind}/{ref.name}" for ref in refs],
            }
            if workload.unsupported and kind != WorkloadKind.DAEMONSET:
                item["unsupported"] = workload.unsupported
            if kind == WorkloadKind.CRONJOB:
                item |= _cron_state(obj)
            found[f"{namespace}/{kind}/{name}"] = item
            for ref in refs:
                key = f"{namespace}/{ref.kind}/{ref.name}"
                digests = None if key in found else cluster._config_digests(env, namespace, ref)
                if digests is not None:
                    found[key] = {"data": digests}
    for named in sorted(set(also)):
        kind, _, name = named.partition("/")
        key = f"{namespace}/{named}"
        digests = None if key in found else cluster._config_digests(env, namespace, ConfigRef(kind, name))
        if digests is not None:
            found[key] = {"data": digests}
    return found


def _cron_state(obj: Item) -> Item:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    state: Item = {"schedule": spec.get("schedule", ""), "suspended": bool(spec.get("suspend", False))}
    if spec.get("timeZone"):
        state["time_zone"] = spec["timeZone"]
    if status.get("lastScheduleTime"):
        state["last_schedule"] = status["lastScheduleTime"]
    return state
