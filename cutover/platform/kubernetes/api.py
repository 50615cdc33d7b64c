"""Plumbing between cutover and the official Kubernetes client: kinds, raw bodies, errors.

Every call is made with ``_preload_content=False`` and the body parsed here: plain dicts keep the
API's field names, and the client logs preloaded bodies at debug level (Secret values among them).
"""

import json
from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from cutover.models import WorkloadKind
from cutover.platform.errors import PermanentError, PlatformError, TransientError

Obj = dict[str, Any]


class KindApi:
    """The typed client calls for one workload kind, so the rest of the code is kind-agnostic."""

    def __init__(self, api: Any, suffix: str, api_version: str, kind: str):
        self.api, self.suffix, self.api_version, self.kind = api, suffix, api_version, kind

    def call(self, verb: str) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(self.api, f"{verb}_namespaced_{self.suffix}")
        return method


# cutover's kind name -> (typed API class, method suffix, apiVersion, kind)
KINDS: dict[str, tuple[Callable[[client.ApiClient], Any], str, str, str]] = {
    WorkloadKind.CRONJOB: (client.BatchV1Api, "cron_job", "batch/v1", "CronJob"),
    WorkloadKind.DAEMONSET: (client.AppsV1Api, "daemon_set", "apps/v1", "DaemonSet"),
    WorkloadKind.DEPLOYMENT: (client.AppsV1Api, "deployment", "apps/v1", "Deployment"),
    WorkloadKind.STATEFULSET: (client.AppsV1Api, "stateful_set", "apps/v1", "StatefulSet"),
}


def kind_api(api_client: client.ApiClient, kind: str) -> KindApi:
    if kind not in KINDS:
        raise PermanentError(f"unsupported workload kind {kind!r} (known: {sorted(KINDS)})", "k8s.BadKind")
    api_class, suffix, api_version, kind_name = KINDS[kind]
    return KindApi(api_class(api_client), suffix, api_version, kind_name)


def raw(response: Any) -> Any:
    """The JSON body of a call made with _preload_content=False."""
    return json.loads(response.data)


def translate(error: ApiException, action: str, what: str, env: str) -> PlatformError:
    """An error naming the action, object and environment; permanent when retrying cannot help."""
    status = int(error.status or 0)
    reason = error.reason or ""
    try:
        message = json.loads(error.body or "{}").get("message", reason)
    except (ValueError, AttributeError):
        message = reason
    text = f"{action} {what} in {env} failed: {status} {reason}: {message}"
    kind = f"k8s.{status}"
    return PermanentError(text, kind) if status in (401, 403, 404) else TransientError(text, kind)


def not_found(what: str, env: str) -> PermanentError:
    """The plan names an object the environment does not have: waiting will not create it."""
    return PermanentError(f"{what} does not exist in {env}", "k8s.404")
