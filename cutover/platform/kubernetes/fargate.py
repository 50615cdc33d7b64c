"""Why EKS Fargate cannot run a workload, read from its manifest.

Fargate gives each pod its own micro-VM with no node to share: no DaemonSets, no host namespaces,
ports or paths, no privileged containers and no GPUs. Such a copy would be accepted by the API
server and then stay Pending forever, so preparation reports it and copying refuses it. The storage
behind volume claims needs the API to tell: see ``kubernetes_storage``.
"""

from cutover.platform.kubernetes.api import Obj
from cutover.platform.kubernetes.manifests import containers, pod_spec

HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def is_gpu(resource: str) -> bool:
    """Extended GPU resources: nvidia.com/gpu, amd.com/gpu, gpu.intel.com/i915, ..."""
    return resource.endswith("/gpu") or resource.startswith("gpu.")


def _container_reasons(container: Obj) -> list[str]:
    name = container.get("name", "?")
    reasons = []
    if (container.get("securityContext") or {}).get("privileged"):
        reasons.append(f"container {name} is privileged")
    host_ports = sorted({p["hostPort"] for p in container.get("ports") or [] if p.get("hostPort")})
    if host_ports:
        reasons.append(f"container {name} uses hostPort {', '.join(map(str, host_ports))}")
    resources = container.get("resources") or {}
    gpus = sorted({r for part in ("limits", "requests") for r in resources.get(part) or {} if is_gpu(r)})
    if gpus:
        reasons.append(f"container {name} requests GPUs ({', '.join(gpus)})")
    return reasons


def fargate_blockers(obj: Obj) -> list[str]:
    """Every reason Fargate cannot run obj; empty when it can."""
    reasons = ["Fargate runs no DaemonSets"] if obj.get("kind") == "DaemonSet" else []
    spec = pod_spec(obj)
    reasons += [f"pod uses {field}" for field in HOST_NAMESPACES if spec.get(field)]
    for container in containers(obj):
        reasons += _container_reasons(container)
    host_paths = [v.get("name", "?") for v in spec.get("volumes") or [] if v.get("hostPath")]
    if host_paths:
        reasons.append(f"pod mounts hostPath {', '.join(host_paths)}")
    return reasons
