"""The production Cluster: workloads in real Kubernetes clusters through the official client.

One ``ApiClient`` per environment name (a kubeconfig context, or in-cluster config). Errors map to
Temporal's retry semantics: a missing workload the plan names or a denied request will not fix
itself, so those are non-retryable; anything else (timeouts, 5xx, 409) is retried by the activity.
"""

import json
from collections.abc import Callable
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from temporalio.exceptions import ApplicationError

from cutover.models import CronHandover, ServiceRef, Workload

Obj = dict[str, Any]

FIELD_MANAGER = "cutover"
FARGATE_LABEL = "cutover.dev/fargate"
EXPOSING_SERVICE_TYPES = {"LoadBalancer", "NodePort"}
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


class KindApi:
    """The typed client calls for one workload kind, so the rest of the code is kind-agnostic."""

    def __init__(self, api: Any, suffix: str, api_version: str, kind: str):
        self.api, self.suffix, self.api_version, self.kind = api, suffix, api_version, kind

    def call(self, verb: str) -> Callable[..., Any]:
        return getattr(self.api, f"{verb}_namespaced_{self.suffix}")


def _kind_api(api_client: client.ApiClient, kind: str) -> KindApi:
    if kind == "deployment":
        return KindApi(client.AppsV1Api(api_client), "deployment", "apps/v1", "Deployment")
    if kind == "statefulset":
        return KindApi(client.AppsV1Api(api_client), "stateful_set", "apps/v1", "StatefulSet")
    if kind == "cronjob":
        return KindApi(client.BatchV1Api(api_client), "cron_job", "batch/v1", "CronJob")
    raise ApplicationError(f"unsupported workload kind {kind!r}", type="k8s.BadKind", non_retryable=True)


def _raw(response: Any) -> Any:
    """The JSON body of a call made with _preload_content=False (plain dicts, API field names)."""
    return json.loads(response.data)


def translate(error: ApiException, action: str, what: str, env: str) -> ApplicationError:
    """An error naming the action, object and environment; non-retryable when retrying cannot help."""
    status = int(error.status or 0)
    reason = error.reason or ""
    try:
        message = json.loads(error.body or "{}").get("message", reason)
    except (ValueError, AttributeError):
        message = reason
    text = f"{action} {what} in {env} failed: {status} {reason}: {message}"
    return ApplicationError(text, type=f"k8s.{status}", non_retryable=status in (401, 403, 404))


def pod_template(obj: Obj) -> Obj:
    """The pod template (created if absent, so callers may edit it in place)."""
    spec: Obj = obj.setdefault("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
    template: Obj = spec.setdefault("template", {})
    return template


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
    pod_spec = template.get("spec") or {}
    for field in NODE_PLACEMENT_FIELDS:
        pod_spec.pop(field, None)
    if out.get("kind") == "CronJob":
        # Created suspended: the hand-over, not the copy, decides where the schedule runs.
        out["spec"]["suspend"] = True
    return out


def pin_recorded_state(obj: Obj, ref: ServiceRef) -> Obj:
    """Deploy what preparation recorded (replicas, first image), not whatever blue runs by now."""
    if ref.kind != "cronjob" and ref.replicas > 0:
        obj["spec"]["replicas"] = ref.replicas
    containers = (pod_template(obj).get("spec") or {}).get("containers") or []
    if ref.image and containers:
        containers[0]["image"] = ref.image
    return obj


def _selects(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def _ingress_services(ingress: Obj) -> set[str]:
    spec = ingress.get("spec") or {}
    backends = [spec.get("defaultBackend") or {}]
    for rule in spec.get("rules") or []:
        backends += [p.get("backend") or {} for p in (rule.get("http") or {}).get("paths") or []]
    return {b["service"]["name"] for b in backends if (b.get("service") or {}).get("name")}


class KubernetesCluster:
    """Implements cutover's Cluster protocol over one ApiClient per environment."""

    def __init__(self, clients: dict[str, client.ApiClient], source_env: str):
        if source_env not in clients:
            raise ValueError(f"source environment {source_env!r} has no client")
        self.clients = clients
        self.source_env = source_env

    @classmethod
    def from_kubeconfig(
        cls, contexts: dict[str, str], source_env: str, config_file: str | None = None
    ) -> "KubernetesCluster":
        """Environment name -> kubeconfig context; each gets its own ApiClient."""
        clients = {
            env: config.new_client_from_config(config_file=config_file, context=context)
            for env, context in contexts.items()
        }
        return cls(clients, source_env)

    @staticmethod
    def in_cluster_client() -> client.ApiClient:
        """The client of the cluster the worker runs in (service account token)."""
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)

    def _client(self, env: str) -> client.ApiClient:
        if env not in self.clients:
            raise ApplicationError(
                f"environment {env!r} is not configured (known: {sorted(self.clients)})",
                type="k8s.UnknownEnvironment",
                non_retryable=True,
            )
        return self.clients[env]

    def _read(self, env: str, namespace: str, kind: str, name: str) -> Obj | None:
        """The workload as a dict, or None when it does not exist."""
        api = _kind_api(self._client(env), kind)
        try:
            obj: Obj = _raw(api.call("read")(name, namespace, _preload_content=False))
        except ApiException as error:
            if error.status == 404:
                return None
            raise translate(error, "read", f"{kind}/{namespace}/{name}", env) from error
        return obj

    def _list(self, env: str, namespace: str, what: str, label_selector: str = "") -> list[Obj]:
        api_client = self._client(env)
        calls: dict[str, Callable[..., Any]] = {
            "services": client.CoreV1Api(api_client).list_namespaced_service,
            "ingresses": client.NetworkingV1Api(api_client).list_namespaced_ingress,
            "jobs": client.BatchV1Api(api_client).list_namespaced_job,
        }
        try:
            items: list[Obj] = _raw(
                calls[what](namespace, label_selector=label_selector, _preload_content=False)
            )["items"]
        except ApiException as error:
            raise translate(error, "list", f"{what} in {namespace}", env) from error
        return items

    # --- Cluster -------------------------------------------------------------------------
    def environments(self) -> list[str]:
        return sorted(self.clients)

    def find(self, env: str, namespace: str, kind: str, name: str) -> Workload | None:
        obj = self._read(env, namespace, kind, name)
        if obj is None:
            return None
        template = pod_template(obj)
        containers = (template.get("spec") or {}).get("containers") or [{}]
        return Workload(
            service=name,
            namespace=namespace,
            kind=kind,
            name=name,
            exposed=kind != "cronjob" and self._exposed(env, namespace, template),
            replicas=int((obj.get("spec") or {}).get("replicas", 1)) if kind != "cronjob" else 1,
            image=containers[0].get("image", ""),
        )

    def _exposed(self, env: str, namespace: str, template: Obj) -> bool:
        """Reached from outside: a LoadBalancer/NodePort Service, or any Service an Ingress names."""
        labels = (template.get("metadata") or {}).get("labels") or {}
        services = self._list(env, namespace, "services")
        selecting = {
            s["metadata"]["name"]: s
            for s in services
            if _selects((s.get("spec") or {}).get("selector"), labels)
        }
        if any((s.get("spec") or {}).get("type") in EXPOSING_SERVICE_TYPES for s in selecting.values()):
            return True
        if not selecting:
            return False
        behind_ingress = set().union(*(_ingress_services(i) for i in self._list(env, namespace, "ingresses")))
        return bool(behind_ingress & set(selecting))

    def apply_copy(self, ref: ServiceRef) -> None:
        self.copy_workload(self.source_env, ref)

    def copy_workload(self, source_env: str, ref: ServiceRef) -> None:
        """Server-side apply source_env's workload to ref.env; applying the same object twice is a no-op."""
        what = f"{ref.kind}/{ref.namespace}/{ref.name}"
        obj = self._read(source_env, ref.namespace, ref.kind, ref.name)
        if obj is None:
            raise ApplicationError(
                f"{what} does not exist in {source_env}", type="k8s.404", non_retryable=True
            )
        api = _kind_api(self._client(ref.env), ref.kind)
        body = pin_recorded_state(clean_copy(obj), ref)
        body["apiVersion"], body["kind"] = api.api_version, api.kind
        if ref.kind == "cronjob":
            # A re-run copy must not undo a hand-over: keep the target's suspend state if it exists.
            existing = self._read(ref.env, ref.namespace, ref.kind, ref.name)
            if existing is not None:
                body["spec"]["suspend"] = bool((existing.get("spec") or {}).get("suspend", False))
        try:
            api.call("patch")(
                ref.name,
                ref.namespace,
                body,
                field_manager=FIELD_MANAGER,
                force=True,
                _content_type="application/apply-patch+yaml",
                _preload_content=False,
            )
        except ApiException as error:
            raise translate(error, "apply", what, ref.env) from error

    def remove_copy(self, env: str, namespace: str, kind: str, name: str) -> None:
        api = _kind_api(self._client(env), kind)
        try:
            # Background propagation: a removed CronJob's Jobs go with it.
            api.call("delete")(name, namespace, propagation_policy="Background", _preload_content=False)
        except ApiException as error:
            if error.status != 404:
                raise translate(error, "delete", f"{kind}/{namespace}/{name}", env) from error

    def healthy(self, env: str, namespace: str, kind: str, name: str) -> bool:
        """Rolled out and fully available; a CronJob is healthy once it exists."""
        obj = self._read(env, namespace, kind, name)
        if obj is None:
            return False
        if kind == "cronjob":
            return True
        meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
        wanted = int(spec.get("replicas", 1))
        return (
            int(status.get("observedGeneration", 0)) >= int(meta.get("generation", 0))
            and int(status.get("updatedReplicas", 0)) == wanted
            and int(status.get("availableReplicas", 0)) == wanted
        )

    def _suspend(self, env: str, namespace: str, name: str, suspend: bool) -> None:
        api = client.BatchV1Api(self._client(env))
        try:
            api.patch_namespaced_cron_job(
                name,
                namespace,
                {"spec": {"suspend": suspend}},
                _content_type="application/merge-patch+json",
                _preload_content=False,
            )
        except ApiException as error:
            action = "suspend" if suspend else "resume"
            raise translate(error, action, f"cronjob/{namespace}/{name}", env) from error

    def hand_over_cron(self, handover: CronHandover) -> None:
        """Suspend first, then resume: never enabled in two clusters (a gap is safer than a double run)."""
        if self._read(handover.enable_in, handover.namespace, "cronjob", handover.name) is None:
            raise ApplicationError(
                f"cronjob/{handover.namespace}/{handover.name} does not exist in {handover.enable_in}",
                type="k8s.404",
                non_retryable=True,
            )
        if self._read(handover.disable_in, handover.namespace, "cronjob", handover.name) is not None:
            self._suspend(handover.disable_in, handover.namespace, handover.name, True)
        self._suspend(handover.enable_in, handover.namespace, handover.name, False)

    def cron_enabled_in(self, namespace: str, name: str) -> list[str]:
        enabled = []
        for env in self.environments():
            obj = self._read(env, namespace, "cronjob", name)
            if obj is not None and not (obj.get("spec") or {}).get("suspend", False):
                enabled.append(env)
        return enabled

    def run_cron(self, env: str, namespace: str, name: str, key: str) -> bool:
        """Await the schedule's newest Job in env: True if it succeeded, False if it failed.

        Kubernetes runs the schedule itself, so this only observes; no Job yet (or one still
        running) raises a retryable error and the activity's retry policy polls again.
        """
        cron = self._read(env, namespace, "cronjob", name)
        # Match the uid too, so Jobs left by an earlier copy of the same name are not mistaken for this run.
        uid = ((cron or {}).get("metadata") or {}).get("uid")
        jobs = [
            job
            for job in self._list(env, namespace, "jobs")
            if any(
                ref.get("kind") == "CronJob"
                and ref.get("name") == name
                and (not uid or ref.get("uid") == uid)
                for ref in (job.get("metadata") or {}).get("ownerReferences") or []
            )
        ]
        if not jobs:
            raise ApplicationError(
                f"no Job of cronjob/{namespace}/{name} in {env} yet (run {key})", type="k8s.NoJobYet"
            )
        newest = max(jobs, key=lambda j: (j["metadata"].get("creationTimestamp", ""), j["metadata"]["name"]))
        status = newest.get("status") or {}
        if int(status.get("succeeded") or 0) >= 1:
            return True
        if int(status.get("failed") or 0) >= 1:
            return False
        raise ApplicationError(
            f"job {newest['metadata']['name']} of cronjob/{namespace}/{name} in {env} is still running",
            type="k8s.JobRunning",
        )
