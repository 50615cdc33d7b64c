"""Whether a workload is reached from outside its cluster, from one namespace's Services and routes.

Exposed means: a LoadBalancer or NodePort Service selects its pods, or an Ingress or a Gateway API
HTTPRoute sends traffic to a Service that selects them. Ingresses reach only their own namespace;
an HTTPRoute may reach a Service in another namespace when a ReferenceGrant there allows it (the
common layout: routes beside a shared Gateway, Services with their apps).
"""

from dataclasses import dataclass

from cutover.platform.kubernetes.api import Obj

EXPOSING_SERVICE_TYPES = {"LoadBalancer", "NodePort"}
GATEWAY_GROUP = "gateway.networking.k8s.io"


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


def granted(grants: list[Obj], route_namespace: str, service: str) -> bool:
    """A ReferenceGrant (in the Service's namespace) lets HTTPRoutes of route_namespace reach service."""
    for grant in grants:
        spec = grant.get("spec") or {}
        from_routes = any(
            f.get("group") == GATEWAY_GROUP
            and f.get("kind") == "HTTPRoute"
            and f.get("namespace") == route_namespace
            for f in spec.get("from") or []
        )
        to_service = any(
            t.get("group", "") == "" and t.get("kind") == "Service" and t.get("name", service) == service
            for t in spec.get("to") or []
        )
        if from_routes and to_service:
            return True
    return False


def route_services(route: Obj, namespace: str, grants: list[Obj]) -> set[str]:
    """Services in namespace that an HTTPRoute sends traffic to: backendRefs of kind Service (the
    default), in the route's own namespace or, with a ReferenceGrant, in namespace."""
    route_namespace = (route.get("metadata") or {}).get("namespace", "")
    refs = [
        ref for rule in (route.get("spec") or {}).get("rules") or [] for ref in rule.get("backendRefs") or []
    ]
    return {
        ref["name"]
        for ref in refs
        if ref.get("name")
        and ref.get("kind", "Service") == "Service"
        and ref.get("group", "") == ""
        and ref.get("namespace", route_namespace) == namespace
        and (route_namespace == namespace or granted(grants, route_namespace, ref["name"]))
    }


@dataclass(frozen=True)
class Exposers:
    """One namespace's Services, and the names of those an Ingress or HTTPRoute sends traffic to."""

    services: list[Obj]
    routed: set[str]

    @classmethod
    def of(
        cls, namespace: str, services: list[Obj], ingresses: list[Obj], routes: list[Obj], grants: list[Obj]
    ) -> "Exposers":
        """routes: the cluster's HTTPRoutes in every namespace; grants: namespace's ReferenceGrants."""
        routed = set().union(
            *map(ingress_services, ingresses), *(route_services(r, namespace, grants) for r in routes)
        )
        return cls(services, routed)

    def expose(self, pod_labels: dict[str, str]) -> bool:
        selecting = [s for s in self.services if selects((s.get("spec") or {}).get("selector"), pod_labels)]
        return any(
            (s.get("spec") or {}).get("type") in EXPOSING_SERVICE_TYPES
            or s["metadata"]["name"] in self.routed
            for s in selecting
        )
