"""Whether a workload is reached from outside its cluster, from one namespace's Services and routes.

Exposed means: a LoadBalancer or NodePort Service selects its pods, or an Ingress or a Gateway API
HTTPRoute sends traffic to a Service that selects them. Only objects in the workload's own
namespace count (a route in another namespace would also need a ReferenceGrant; not modelled).
"""

from dataclasses import dataclass

from cutover.platform.kubernetes_api import Obj

EXPOSING_SERVICE_TYPES = {"LoadBalancer", "NodePort"}


def selects(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    """A Service's equality selector matches these pod labels (an empty selector matches nothing)."""
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def ingress_services(ingress: Obj) -> set[str]:
    """Services an Ingress sends traffic to (rules and default backend)."""
    spec = ingress.get("spec") or {}
    backends = [spec.get("defaultBackend") or {}]
    for rule in spec.get("rules") or []:
        backends += [p.get("backend") or {} for p in (rule.get("http") or {}).get("paths") or []]
    return {b["service"]["name"] for b in backends if (b.get("service") or {}).get("name")}


def route_services(route: Obj) -> set[str]:
    """Services an HTTPRoute sends traffic to: backendRefs of kind Service (the default) in its namespace."""
    namespace = (route.get("metadata") or {}).get("namespace")
    refs = [
        ref for rule in (route.get("spec") or {}).get("rules") or [] for ref in rule.get("backendRefs") or []
    ]
    return {
        ref["name"]
        for ref in refs
        if ref.get("name")
        and ref.get("kind", "Service") == "Service"
        and ref.get("group", "") == ""
        and ref.get("namespace", namespace) == namespace
    }


@dataclass(frozen=True)
class Exposers:
    """One namespace's Services, and the names of those an Ingress or HTTPRoute sends traffic to."""

    services: list[Obj]
    routed: set[str]

    @classmethod
    def of(cls, services: list[Obj], ingresses: list[Obj], routes: list[Obj]) -> "Exposers":
        routed = set().union(*map(ingress_services, ingresses), *map(route_services, routes))
        return cls(services, routed)

    def expose(self, pod_labels: dict[str, str]) -> bool:
        selecting = [s for s in self.services if selects((s.get("spec") or {}).get("selector"), pod_labels)]
        return any(
            (s.get("spec") or {}).get("type") in EXPOSING_SERVICE_TYPES
            or s["metadata"]["name"] in self.routed
            for s in selecting
        )
