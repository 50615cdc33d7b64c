"""Pure edits of workload manifests: where the pod template lives, and blue's object made fit for green."""

import json

from cutover.models import ServiceRef, WorkloadKind
from cutover.platform.kubernetes.api import Obj

FARGATE_LABEL = "cutover.dev/fargate"
CLUSTER_OWNED_METADATA = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "selfLink",
    "ownerReferences",
)
CLUSTER_OWNED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)
# Scheduling constraints of blue's EC2 nodes make no sense on Fargate.
NODE_PLACEMENT_FIELDS = ("nodeSelector", "affinity", "tolerations")


def pod_template(obj: Obj) -> Obj:
    """The pod template (created if absent, so callers may edit it in place)."""
    spec: Obj = obj.setdefault("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
    template: Obj = spec.setdefault("template", {})
    return template


def pod_spec(obj: Obj) -> Obj:
    """The pod spec of the template (an empty dict when absent)."""
    spec: Obj = pod_template(obj).get("spec") or {}
    return spec


def template_labels(obj: Obj) -> dict[str, str]:
    labels: dict[str, str] = (pod_template(obj).get("metadata") or {}).get("labels") or {}
    return labels


def containers(obj: Obj) -> list[Obj]:
    """Init and app containers: both run on the node, so both must fit it."""
    spec = pod_spec(obj)
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def clean_copy(obj: Obj) -> Obj:
    """blue's object as a declaration for green: no cluster-owned fields, no node placement."""
    out: Obj = json.loads(json.dumps(obj))
    out.pop("status", None)
    meta = out.setdefault("metadata", {})
    for field in CLUSTER_OWNED_METADATA:
        meta.pop(field, None)
    annotations = meta.get("annotations") or {}
    for annotation in CLUSTER_OWNED_ANNOTATIONS:
        annotations.pop(annotation, None)
    if not annotations:
        meta.pop("annotations", None)
    template = pod_template(out)
    template.setdefault("metadata", {}).setdefault("labels", {})[FARGATE_LABEL] = "true"
    spec = template.get("spec") or {}
    for field in NODE_PLACEMENT_FIELDS:
        spec.pop(field, None)
    if out.get("kind") == "CronJob":
        # Created suspended: the hand-over, not the copy, decides where the schedule runs.
        out["spec"]["suspend"] = True
    return out


def pin_recorded_state(obj: Obj, ref: ServiceRef) -> Obj:
    """Deploy what preparation recorded (replicas, first image), not whatever blue runs by now."""
    if ref.kind != WorkloadKind.CRONJOB and ref.replicas > 0:
        obj["spec"]["replicas"] = ref.replicas
    app_containers = pod_spec(obj).get("containers") or []
    if ref.image and app_containers:
        app_containers[0]["image"] = ref.image
    return obj
