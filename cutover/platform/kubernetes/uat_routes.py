"""UAT routes on Gateway API: rules on a service's HTTPRoute that send the testers' requests to green.

Rule order decides little in an HTTPRoute: a match with a longer path wins whatever its place, and
only among equal paths does the one with more header matches win. So a lone header rule would lose to
the route's own `/api` rule; instead every rule that serves the service gets a twin, first in
spec.rules: its matches, each with the tester's header added (one more header match: it wins), its
filters and timeouts, and green's Service as its only backend. A cookie is a RegularExpression match
on the Cookie header (Gateway API's support for it is implementation-specific; Envoy-based ones have
it). The route's annotation ANNOTATION records each open match, so the twins are found again, and a
write replaces the route at the resourceVersion it was read at (no other writer's rules are lost).
"""

import copy
import json
import re
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from pydantic import ValidationError

from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.gateway_uat_target import GatewayUatTarget
from cutover.platform.kubernetes.api import Obj, not_found, raw, translate
from cutover.platform.kubernetes.exposure import GATEWAY_GROUP

VERSION = "v1"
PLURAL = "httproutes"
ANNOTATION = "cutover.io/uat-routes"  # JSON: namespace/service -> its UatMatch
MAX_RULES = 16  # an HTTPRoute's spec.rules, as the v1 CRD validates them
CONFLICT_ATTEMPTS = 3  # reads and writes when another writer changed the route in between
FIELD_MANAGER = "cutover"
_REGEX_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def header_match(match: UatMatch) -> Obj:
    """The HTTPHeaderMatch that marks a tester's request."""
    if match.header is not None:
        return {"type": "Exact", "name": match.header, "value": match.value}
    cookie = f"{_escape(match.cookie or '')}={_escape(match.value)}"
    return {"type": "RegularExpression", "name": "Cookie", "value": rf"(^|;\s*){cookie}(;|$)"}


def _escape(text: str) -> str:
    """Literal in RE2 (Envoy's regex engine) and every other flavour: punctuation escaped."""
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def _same_header(found: Obj, wanted: Obj) -> bool:
    """Header names are case-insensitive; the type defaults to Exact."""
    return bool(
        str(found.get("name", "")).lower() == str(wanted["name"]).lower()
        and found.get("type", "Exact") == wanted["type"]
        and found.get("value") == wanted["value"]
    )


class GatewayUatRoutes:
    """UatRouter over the HTTPRoutes of one cluster (`env` names it in messages), one per service."""

    def __init__(self, api_client: client.ApiClient, routes: dict[str, GatewayUatTarget], env: str):
        self.api = client.CustomObjectsApi(api_client)
        self.routes = routes
        self.env = env

    def _target(self, namespace: str, service: str) -> GatewayUatTarget:
        key = f"{namespace}/{service}"
        if key not in self.routes:
            raise PermanentError(f"no Gateway API UAT route configured for {key}")
        return self.routes[key]

    def open_uat_route(self, route: UatRoute) -> None:
        self._edit(self._target(route.namespace, route.service), route.key, route.match)

    def close_uat_route(self, namespace: str, service: str) -> None:
        self._edit(self._target(namespace, service), f"{namespace}/{service}", None)

    def uat_route(self, namespace: str, service: str) -> UatMatch | None:
        """The recorded match, if the route still holds its twins (a match whose rules someone
        removed routes nobody: None)."""
        target = self._target(namespace, service)
        obj = self._read(target)
        if obj is None:
            return None
        match = _recorded(obj, target).get(f"{namespace}/{service}")
        if match is None:
            return None
        rules = (obj.get("spec") or {}).get("rules") or []
        return match if any(_twin_of(r, match, target) for r in rules) else None

    # --- reading and writing ---------------------------------------------------------------
    def _what(self, target: GatewayUatTarget) -> str:
        return f"HTTPRoute {target.namespace}/{target.httproute}"

    def _read(self, target: GatewayUatTarget) -> Obj | None:
        """The route, None if it does not exist."""
        try:
            response = self.api.get_namespaced_custom_object(
                GATEWAY_GROUP, VERSION, target.namespace, PLURAL, target.httproute, _preload_content=False
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise translate(error, "read", self._what(target), self.env) from error
        obj: Obj = raw(response)
        return obj

    def _edit(self, target: GatewayUatTarget, key: str, match: UatMatch | None) -> None:
        """Set (match) or remove (None) the service's twins and record, retrying a stale write. A
        route that does not exist holds no UAT route to remove, and cannot get one."""
        for _ in range(CONFLICT_ATTEMPTS):
            obj = self._read(target)
            if obj is None:
                if match is None:
                    return
                raise not_found(self._what(target), self.env)
            wanted = with_uat(obj, target, key, match)
            if wanted == obj:
                return
            try:
                self.api.replace_namespaced_custom_object(
                    GATEWAY_GROUP,
                    VERSION,
                    target.namespace,
                    PLURAL,
                    target.httproute,
                    wanted,
                    field_manager=FIELD_MANAGER,
                    _preload_content=False,
                )
                return
            except ApiException as error:
                if error.status == 409:
                    continue
                failure = translate(error, "update", self._what(target), self.env)
                if error.status in (400, 422):  # the route as written is invalid: so it stays
                    raise PermanentError(failure.message, failure.kind) from error
                raise failure from error
        raise TransientError(
            f"update {self._what(target)} in {self.env} failed: it changed under every one of "
            f"{CONFLICT_ATTEMPTS} attempts",
            "k8s.409",
        )


def with_uat(obj: Obj, target: GatewayUatTarget, key: str, match: UatMatch | None) -> Obj:
    """The HTTPRoute with key's twins replaced by match's (none for None), and the record to match."""
    wanted = copy.deepcopy(obj)
    recorded = _recorded(obj, target)
    spec = wanted.setdefault("spec", {})
    rules: list[Obj] = spec.get("rules") or []
    old = recorded.pop(key, None)
    kept = [r for r in rules if old is None or not _twin_of(r, old, target)]
    if match is not None:
        # Twins of other services on this route (their backends unknown here) are not twinned again.
        served = [
            r for r in kept if _serves(r, target) and not any(_twin_of(r, m, None) for m in recorded.values())
        ]
        if not served:
            blue = f" to Service {target.blue_service}" if target.blue_service else ""
            raise PermanentError(
                f"HTTPRoute {target.namespace}/{target.httproute} has no rule that sends traffic{blue}",
                "k8s.NoRuleToTwin",
            )
        if len(kept) + len(served) > MAX_RULES:
            raise PermanentError(
                f"HTTPRoute {target.namespace}/{target.httproute} would hold {len(kept) + len(served)} "
                f"rules with its UAT twins; an HTTPRoute holds at most {MAX_RULES}",
                "k8s.TooManyRules",
            )
        kept = [_twin(r, match, target) for r in served] + kept
        recorded[key] = match
    if kept != rules:
        spec["rules"] = kept
    annotations = (wanted.setdefault("metadata", {})).setdefault("annotations", {})
    if recorded:
        annotations[ANNOTATION] = json.dumps(
            {k: m.model_dump(exclude_none=True) for k, m in sorted(recorded.items())}, sort_keys=True
        )
    else:
        annotations.pop(ANNOTATION, None)
        if not annotations:
            del wanted["metadata"]["annotations"]
    return wanted


def _recorded(obj: Obj, target: GatewayUatTarget) -> dict[str, UatMatch]:
    """The open matches the route's annotation records, by namespace/service."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if not text:
        return {}
    try:
        return {k: UatMatch.model_validate(v) for k, v in json.loads(text).items()}
    except (ValueError, AttributeError, ValidationError) as error:
        raise PermanentError(
            f"HTTPRoute {target.namespace}/{target.httproute}: annotation {ANNOTATION} is not what "
            "cutover wrote; fix or remove it",
            "k8s.BadAnnotation",
        ) from error


def _green_ref(target: GatewayUatTarget) -> Obj:
    ref: Obj = {"name": target.green_service, "port": target.port}
    if target.green_namespace and target.green_namespace != target.namespace:
        ref["namespace"] = target.green_namespace
    return ref


def _is_service_ref(ref: Obj, name: str, namespace: str, route_namespace: str) -> bool:
    return (
        ref.get("name") == name
        and ref.get("group", "") == ""
        and ref.get("kind", "Service") == "Service"
        and ref.get("namespace", route_namespace) == namespace
    )


def _serves(rule: Obj, target: GatewayUatTarget) -> bool:
    """The rule sends traffic to a backend (to a Service named blue_service, when it is named)."""
    refs = rule.get("backendRefs") or []
    if target.blue_service is None:
        return bool(refs)
    return any(
        r.get("name") == target.blue_service
        and r.get("group", "") == ""
        and r.get("kind", "Service") == "Service"
        for r in refs
    )


def _twin_of(rule: Obj, match: UatMatch, target: GatewayUatTarget | None) -> bool:
    """Every match of the rule carries the tester's header, and its one backend is the target's green
    Service (any backend, without a target)."""
    wanted = header_match(match)
    matches = rule.get("matches") or []
    refs = rule.get("backendRefs") or []
    if not matches or len(refs) != 1:
        return False
    if not all(any(_same_header(h, wanted) for h in m.get("headers") or []) for m in matches):
        return False
    if target is None:
        return True
    green_namespace = target.green_namespace or target.namespace
    return _is_service_ref(refs[0], target.green_service, green_namespace, target.namespace)


def _twin(rule: Obj, match: UatMatch, target: GatewayUatTarget) -> Obj:
    """The rule for testers: the rule's matches each with the header added, its filters, timeouts and
    the rest, green's Service as the only backend (a rule's name is the original's alone)."""
    twin: dict[str, Any] = {
        k: copy.deepcopy(v) for k, v in rule.items() if k not in ("name", "matches", "backendRefs")
    }
    header = header_match(match)
    twin["matches"] = [
        {**copy.deepcopy(m), "headers": [*(m.get("headers") or []), header]}
        for m in rule.get("matches") or [{}]
    ]
    twin["backendRefs"] = [_green_ref(target)]
    return twin
