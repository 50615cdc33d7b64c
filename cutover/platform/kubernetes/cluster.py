"""The production Cluster: workloads in real Kubernetes clusters through the official client.

One ``ApiClient`` per environment name (a kubeconfig context, or in-cluster config). A missing
workload the plan names or a denied request will not fix itself, so those are PermanentErrors;
anything else (timeouts, 5xx, 409) is a TransientError, which the activity retries.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)

from cutover.cron_ticks import job_name
from cutover.models import CronSchedule, ServiceRef, Workload, WorkloadKind
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.interfaces import JobState
from cutover.platform.kubernetes.api import KINDS, Obj, kind_api, not_found, raw, translate
from cutover.platform.kubernetes.config_parity import ConfigRef, Side, compare, config_refs, digests
from cutover.platform.kubernetes.exposure import GATEWAY_GROUP, Exposers
from cutover.platform.kubernetes.fargate import fargate_blockers
from cutover.platform.kubernetes.jobs import (
    RESUMED_AT,
    check_job_from_manifest,
    check_job_from_template,
    newest,
    outcome,
    owned_by,
    scheduled_job,
    terminal_text,
)
from cutover.platform.kubernetes.manifests import (
    clean_copy,
    pin_recorded_state,
    pod_spec,
    template_labels,
)
from cutover.platform.kubernetes.storage import ClaimUse, claim_uses, default_class, not_efs, volume_driver

FIELD_MANAGER = "cutover"
MERGE_PATCH = "application/merge-patch+json"
LOG_TAIL_LINES = 100  # of a check Job's newest pod: evidence, bounded again in the check's result
LOG_TAIL_CHARS = 8_000
# Set by the Job controller on the pods of a Job it selects (with batch.kubernetes.io/controller-uid
# since 1.27; this one on every version): the Job's uid, so an earlier Job's pods never count.
JOB_POD_LABEL = "controller-uid"


def _zero_patch(kind: str, what: str) -> Obj:
    """What keeps a workload in place but idle: no replicas, or a suspended schedule."""
    if kind == WorkloadKind.CRONJOB:
        return {"spec": {"suspend": True}}
    if kind in (WorkloadKind.DEPLOYMENT, WorkloadKind.STATEFULSET):
        return {"spec": {"replicas": 0}}
    raise PermanentError(f"{what} cannot be scaled to zero", "k8s.BadKind")


def _rolled_out(kind: str, obj: Obj) -> bool:
    """The controller has seen the newest spec and every wanted pod is updated and available."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    if int(status.get("observedGeneration", 0)) < int(meta.get("generation", 0)):
        return False
    if kind == WorkloadKind.DAEMONSET:
        wanted = int(status.get("desiredNumberScheduled", 0))
        updated, available = status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0)
    else:
        wanted = int(spec.get("replicas", 1))
        updated, available = status.get("updatedReplicas", 0), status.get("availableReplicas", 0)
    return int(updated) == wanted and int(available) == wanted


def _as_workload(
    namespace: str, kind: str, obj: Obj, exposers: Exposers | None, blockers: list[str]
) -> Workload:
    """The recorded state preparation needs; a CronJob is never exposed (nothing routes to it)."""
    spec = obj.get("spec") or {}
    name = obj["metadata"]["name"]
    app_containers = pod_spec(obj).get("containers") or [{}]
    return Workload(
        service=name,
        namespace=namespace,
        kind=WorkloadKind(kind),
        name=name,
        exposed=exposers is not None
        and kind != WorkloadKind.CRONJOB
        and exposers.expose(template_labels(obj)),
        replicas=int(spec.get("replicas", 1))
        if kind in (WorkloadKind.DEPLOYMENT, WorkloadKind.STATEFULSET)
        else 1,
        image=app_containers[0].get("image", ""),
        suspended=kind == WorkloadKind.CRONJOB and bool(spec.get("suspend", False)),
        unsupported="; ".join(blockers),
    )


class KubernetesCluster:
    """Implements cutover's Cluster protocol over one ApiClient per environment."""

    def __init__(self, clients: dict[str, client.ApiClient], source_env: str):
        if source_env not in clients:
            raise ValueError(f"source environment {source_env!r} has no client")
        self.clients = clients
        self.source_env = source_env

    @staticmethod
    def in_cluster_client(
        token_file: str = SERVICE_TOKEN_FILENAME, ca_file: str = SERVICE_CERT_FILENAME
    ) -> client.ApiClient:
        """The cluster the worker runs in: https to KUBERNETES_SERVICE_HOST/PORT, trusting ca_file, with
        the service account token (re-read every minute, as the kubelet rotates it)."""
        configuration = client.Configuration()
        InClusterConfigLoader(token_filename=token_file, cert_filename=ca_file).load_and_set(configuration)
        return client.ApiClient(configuration)

    def _client(self, env: str) -> client.ApiClient:
        if env not in self.clients:
            raise PermanentError(
                f"environment {env!r} is not configured (known: {sorted(self.clients)})",
                "k8s.UnknownEnvironment",
            )
        return self.clients[env]

    def _get(self, env: str, what: str, read: Callable[..., Any], *args: str) -> Obj | None:
        """One object as a dict, or None when it does not exist."""
        try:
            obj: Obj = raw(read(*args, _preload_content=False))
        except ApiException as error:
            if error.status == 404:
                return None
            raise translate(error, "read", what, env) from error
        return obj

    def _read(self, env: str, namespace: str, kind: str, name: str) -> Obj | None:
        """The workload as a dict, or None when it does not exist."""
        read = kind_api(self._client(env), kind).call("read")
        return self._get(env, f"{kind}/{namespace}/{name}", read, name, namespace)

    def _list(self, env: str, namespace: str, what: str, label_selector: str = "") -> list[Obj]:
        """Objects of a workload kind, or of "services", "ingresses" or "jobs"."""
        api_client = self._client(env)
        calls: dict[str, Callable[..., Any]] = {
            "services": client.CoreV1Api(api_client).list_namespaced_service,
            "ingresses": client.NetworkingV1Api(api_client).list_namespaced_ingress,
            "jobs": client.BatchV1Api(api_client).list_namespaced_job,
            **{kind: kind_api(api_client, kind).call("list") for kind in KINDS},
        }
        try:
            response = calls[what](namespace, label_selector=label_selector, _preload_content=False)
        except ApiException as error:
            raise translate(error, "list", f"{what} in {namespace}", env) from error
        items: list[Obj] = raw(response)["items"]
        return items

    def _workloads(self, env: str, namespace: str, kind: str, selector: str) -> list[Obj]:
        """Workloads of kind matching selector, each with its kind set: list items carry none, and where
        the pod template lives and what Fargate makes of the object depend on it."""
        api = kind_api(self._client(env), kind)
        return [{**item, "kind": api.kind} for item in self._list(env, namespace, kind, selector)]

    def _gateway_objects(self, env: str, version: str, plural: str, namespace: str | None) -> list[Obj]:
        """Gateway API objects in namespace (None: in every namespace); none when the cluster has no
        Gateway API (its CRDs are not installed)."""
        api = client.CustomObjectsApi(self._client(env))
        try:
            if namespace is None:
                response = api.list_cluster_custom_object(
                    GATEWAY_GROUP, version, plural, _preload_content=False
                )
            else:
                response = api.list_namespaced_custom_object(
                    GATEWAY_GROUP, version, namespace, plural, _preload_content=False
                )
        except ApiException as error:
            if error.status == 404:
                return []
            raise translate(error, "list", f"{plural} in {namespace or 'all namespaces'}", env) from error
        items: list[Obj] = raw(response)["items"]
        return items

    def _exposers(self, env: str, namespace: str) -> Exposers:
        return Exposers.of(
            namespace,
            self._list(env, namespace, "services"),
            self._list(env, namespace, "ingresses"),
            self._gateway_objects(env, "v1", "httproutes", None),
            self._gateway_objects(env, "v1beta1", "referencegrants", namespace),
        )

    def _config_digests(self, env: str, namespace: str, ref: ConfigRef) -> dict[str, str] | None:
        """The referenced object's key digests in env (values never leave this call), None if absent."""
        core = client.CoreV1Api(self._client(env))
        read = core.read_namespaced_config_map if ref.kind == "configmap" else core.read_namespaced_secret
        found = self._get(env, ref.what(namespace), read, ref.name, namespace)
        return None if found is None else digests(ref.kind, found)

    def _blockers(self, env: str, namespace: str, obj: Obj) -> list[str]:
        """Why Fargate cannot run obj: its manifest, then the storage its claims are backed by in env."""
        uses = claim_uses(obj)
        classes = self._storage_classes(env) if uses else []
        storage = [self._storage_problem(env, namespace, use, classes) for use in uses]
        return fargate_blockers(obj) + [problem for problem in storage if problem]

    def _storage_classes(self, env: str) -> list[Obj]:
        storage = client.StorageV1Api(self._client(env))
        try:
            items: list[Obj] = raw(storage.list_storage_class(_preload_content=False))["items"]
        except ApiException as error:
            raise translate(error, "list", "storageclasses", env) from error
        return items

    def _storage_problem(self, env: str, namespace: str, use: ClaimUse, classes: list[Obj]) -> str | None:
        core = client.CoreV1Api(self._client(env))
        storage_class = use.storage_class
        if use.claim:
            what = f"persistentvolumeclaim/{namespace}/{use.claim}"
            claim = self._get(env, what, core.read_namespaced_persistent_volume_claim, use.claim, namespace)
            if claim is None:
                return f"{use.what()} does not exist in {env}"
            spec = claim.get("spec") or {}
            if bound := spec.get("volumeName"):
                volume = self._get(env, f"persistentvolume/{bound}", core.read_persistent_volume, bound)
                if volume is not None:
                    return not_efs(use, volume_driver(volume))
            storage_class = spec.get("storageClassName")
        if storage_class is None:
            storage_class = default_class(classes)
        if not storage_class:
            return f"{use.what()} names no storage class and {env} has no default one"
        found = next((c for c in classes if c["metadata"]["name"] == storage_class), None)
        if found is None:
            return f"{use.what()} uses storage class {storage_class}, which does not exist in {env}"
        return not_efs(use, str(found.get("provisioner", "")))

    # --- Cluster -------------------------------------------------------------------------
    def environments(self) -> list[str]:
        return sorted(self.clients)

    def find(self, env: str, namespace: str, kind: str, name: str) -> Workload | None:
        obj = self._read(env, namespace, kind, name)
        if obj is None:
            return None
        exposers = None if kind == WorkloadKind.CRONJOB else self._exposers(env, namespace)
        return _as_workload(namespace, kind, obj, exposers, self._blockers(env, namespace, obj))

    def discover(self, env: str, namespace: str, selector: str) -> list[Workload]:
        """Every workload of a known kind whose labels match selector (equality terms, comma separated)."""
        exposers = self._exposers(env, namespace)
        found = [
            _as_workload(namespace, kind, obj, exposers, self._blockers(env, namespace, obj))
            for kind in KINDS
            for obj in self._workloads(env, namespace, kind, selector)
        ]
        return sorted(found, key=lambda w: (w.kind, w.name))

    def config_problems(
        self, source_env: str, target_env: str, namespace: str, kind: str, name: str
    ) -> list[str]:
        """Each ConfigMap/Secret the workload's pods use, compared key by key (as sha256) across the two."""
        obj = self._read(source_env, namespace, kind, name)
        if obj is None:
            raise not_found(f"{kind}/{namespace}/{name}", source_env)
        problems: list[str] = []
        for ref in config_refs(obj):
            source = Side(source_env, self._config_digests(source_env, namespace, ref))
            target = Side(target_env, self._config_digests(target_env, namespace, ref))
            problems += compare(ref, namespace, source, target)
        return problems

    def apply_copy(self, ref: ServiceRef) -> None:
        self.copy_workload(self.source_env, ref)

    def copy_workload(self, source_env: str, ref: ServiceRef) -> None:
        """Server-side apply source_env's workload to ref.env; applying the same object twice is a no-op.

        A workload Fargate cannot run is refused: the API would accept it and its pods never start."""
        what = f"{ref.kind}/{ref.namespace}/{ref.name}"
        obj = self._read(source_env, ref.namespace, ref.kind, ref.name)
        if obj is None:
            raise not_found(what, source_env)
        blockers = self._blockers(source_env, ref.namespace, obj)
        if blockers:
            raise PermanentError(
                f"copy {what} to {ref.env} refused: {'; '.join(blockers)}", "k8s.Unsupported"
            )
        api = kind_api(self._client(ref.env), ref.kind)
        body = pin_recorded_state(clean_copy(obj), ref)
        body["apiVersion"], body["kind"] = api.api_version, api.kind
        if ref.kind == WorkloadKind.CRONJOB:
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

    def remove_copy(
        self, env: str, namespace: str, kind: str, name: str, scale_to_zero: bool = False
    ) -> None:
        """Delete (background propagation: a CronJob's Jobs go with it) or keep idle; absent is fine."""
        what = f"{kind}/{namespace}/{name}"
        api = kind_api(self._client(env), kind)
        try:
            if scale_to_zero:
                patch = _zero_patch(kind, what)
                api.call("patch")(name, namespace, patch, _content_type=MERGE_PATCH, _preload_content=False)
            else:
                api.call("delete")(name, namespace, propagation_policy="Background", _preload_content=False)
        except ApiException as error:
            if error.status != 404:
                raise translate(error, "scale to zero" if scale_to_zero else "delete", what, env) from error

    def set_replicas(self, env: str, namespace: str, kind: str, name: str, replicas: int) -> None:
        """Merge-patch spec.replicas alone, as `kubectl scale` does: field owners keep the rest."""
        what = f"{kind}/{namespace}/{name}"
        if kind not in (WorkloadKind.DEPLOYMENT, WorkloadKind.STATEFULSET):
            raise PermanentError(f"{what} has no replicas to scale", "k8s.BadKind")
        api = kind_api(self._client(env), kind)
        patch = {"spec": {"replicas": replicas}}
        try:
            api.call("patch")(name, namespace, patch, _content_type=MERGE_PATCH, _preload_content=False)
        except ApiException as error:
            raise translate(error, "scale", what, env) from error

    def available(self, env: str, namespace: str, kind: str, name: str) -> bool:
        """Rolled out and fully available (zero wanted replicas: once observed); a CronJob once it exists."""
        obj = self._read(env, namespace, kind, name)
        if obj is None:
            return False
        return kind == WorkloadKind.CRONJOB or _rolled_out(kind, obj)

    def set_cron_suspended(self, env: str, namespace: str, name: str, suspended: bool) -> None:
        """Merge-patch spec.suspend; a missing CronJob is a 404 (permanent) naming it.

        Resuming a suspended CronJob first sets status.lastScheduleTime to now, so the controller
        does not start a time missed while it was suspended (the hand-over runs the ones its gap
        caused), and records the moment in an annotation."""
        api, what = client.BatchV1Api(self._client(env)), f"cronjob/{namespace}/{name}"
        patch: Obj = {"spec": {"suspend": suspended}}
        try:
            if not suspended:
                cron = self._read(env, namespace, WorkloadKind.CRONJOB, name)
                if cron is None:
                    raise not_found(what, env)
                if not (cron.get("spec") or {}).get("suspend", False):
                    return
                moment = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
                status = {"status": {"lastScheduleTime": moment}}
                api.patch_namespaced_cron_job_status(
                    name, namespace, status, _content_type=MERGE_PATCH, _preload_content=False
                )
                patch["metadata"] = {"annotations": {RESUMED_AT: moment}}
            api.patch_namespaced_cron_job(
                name, namespace, patch, _content_type=MERGE_PATCH, _preload_content=False
            )
        except ApiException as error:
            action = "suspend" if suspended else "resume"
            raise translate(error, action, what, env) from error

    def cron_schedule(self, env: str, namespace: str, name: str) -> CronSchedule:
        cron = self._read(env, namespace, WorkloadKind.CRONJOB, name)
        if cron is None:
            raise not_found(f"cronjob/{namespace}/{name}", env)
        spec, status = cron.get("spec") or {}, cron.get("status") or {}
        return CronSchedule(
            schedule=spec.get("schedule", ""),
            time_zone=spec.get("timeZone"),
            last_scheduled=status.get("lastScheduleTime"),
            resumed_at=(cron["metadata"].get("annotations") or {}).get(RESUMED_AT),
        )

    def start_scheduled_run(self, env: str, namespace: str, name: str, scheduled: datetime) -> bool:
        what = f"cronjob/{namespace}/{name}"
        cron = self._read(env, namespace, WorkloadKind.CRONJOB, name)
        if cron is None:
            raise not_found(what, env)
        job = scheduled_job(cron, job_name(name, scheduled), scheduled)
        try:
            client.BatchV1Api(self._client(env)).create_namespaced_job(namespace, job, _preload_content=False)
        except ApiException as error:
            if error.status == 409:
                return False
            raise translate(error, "start a missed run of", what, env) from error
        return True

    def _owned_jobs(self, env: str, namespace: str, cron: Obj) -> list[Obj]:
        name, uid = cron["metadata"]["name"], cron["metadata"]["uid"]
        return [job for job in self._list(env, namespace, "jobs") if owned_by(job, name, uid)]

    def active_cron_jobs(self, env: str, namespace: str, name: str) -> list[str]:
        """Jobs of this CronJob (by uid) not finished yet (rule: kubernetes_jobs); none if it is absent."""
        cron = self._read(env, namespace, WorkloadKind.CRONJOB, name)
        if cron is None:
            return []
        jobs = self._owned_jobs(env, namespace, cron)
        return sorted(job["metadata"]["name"] for job in jobs if outcome(job) is None)

    def cron_enabled_in(self, namespace: str, name: str) -> list[str]:
        enabled = []
        for env in self.environments():
            obj = self._read(env, namespace, WorkloadKind.CRONJOB, name)
            if obj is not None and not (obj.get("spec") or {}).get("suspend", False):
                enabled.append(env)
        return enabled

    def first_run_outcome(self, env: str, namespace: str, name: str, key: str) -> bool | None:
        """One look at the newest Job of this CronJob (by uid): None while there is none or it runs.

        Kubernetes runs the schedule itself, so this only observes and never starts a run; key only
        names the run in errors. Jobs an earlier CronJob of the same name left behind do not count."""
        cron = self._read(env, namespace, WorkloadKind.CRONJOB, name)
        if cron is None:
            raise not_found(f"cronjob/{namespace}/{name} (run {key})", env)
        jobs = self._owned_jobs(env, namespace, cron)
        return outcome(newest(jobs)) if jobs else None

    # --- check Jobs ---------------------------------------------------------------------
    def start_check_job(
        self,
        env: str,
        namespace: str,
        name: str,
        template: str | None,
        manifest: dict[str, Any] | None,
        labels: dict[str, str],
    ) -> None:
        """Create the Job unless it exists: a retried activity finds the first attempt's Job and
        watches it instead of running a second one."""
        what = f"job/{namespace}/{name}"
        batch = client.BatchV1Api(self._client(env))
        existing = self._get(env, what, batch.read_namespaced_job, name, namespace)
        if existing is not None:
            meta = existing["metadata"]
            if meta.get("deletionTimestamp"):  # an earlier run of the check, going away
                raise TransientError(f"{what} in {env} is still being deleted", "k8s.Terminating")
            if any((meta.get("labels") or {}).get(key) != value for key, value in labels.items()):
                raise PermanentError(f"{what} in {env} exists and is not this check's Job", "k8s.Conflict")
            return
        if template is not None:
            kind, _, cron_name = template.partition("/")
            if kind != WorkloadKind.CRONJOB or not cron_name:
                raise PermanentError(
                    f"a check Job's template must be cronjob/NAME, not {template!r}", "k8s.BadJob"
                )
            cron = self._read(env, namespace, WorkloadKind.CRONJOB, cron_name)
            if cron is None:
                raise not_found(f"cronjob/{namespace}/{cron_name} (the template of {what})", env)
            body = check_job_from_template(cron, name, labels)
        elif manifest is not None:
            body = check_job_from_manifest(manifest, namespace, name, labels)
        else:
            raise PermanentError(f"{what}: a check Job needs a template or a manifest", "k8s.BadJob")
        try:
            batch.create_namespaced_job(namespace, body, _preload_content=False)
        except ApiException as error:
            if error.status != 409:  # 409: a concurrent attempt created it; the next look finds it
                raise translate(error, "start", what, env) from error

    def check_job_state(self, env: str, namespace: str, name: str) -> JobState:
        """The Job's outcome (rule: kubernetes.jobs.outcome), what its status says, and its newest
        pod's log tail."""
        what = f"job/{namespace}/{name}"
        job = self._get(env, what, client.BatchV1Api(self._client(env)).read_namespaced_job, name, namespace)
        if job is None:
            raise not_found(what, env)
        result = outcome(job)
        return JobState(
            done=result is not None,
            succeeded=result is True,
            message=terminal_text(job),
            log_tail=self._log_tail(env, namespace, job),
        )

    def _log_tail(self, env: str, namespace: str, job: Obj) -> str:
        """The last lines of the Job's newest pod's log (its default container); empty without a pod.

        The log is evidence, not the verdict: a log the cluster does not give (a container not
        started yet, a pod gone, no RBAC for pods/log) says so in the tail instead of failing the look."""
        core = client.CoreV1Api(self._client(env))
        selector = f"{JOB_POD_LABEL}={job['metadata'].get('uid', '')}"
        try:
            pods: list[Obj] = raw(
                core.list_namespaced_pod(namespace, label_selector=selector, _preload_content=False)
            )["items"]
            if not pods:
                return ""
            pod = newest(pods)
            meta, spec = pod["metadata"], pod.get("spec") or {}
            containers = [c.get("name") for c in spec.get("containers") or []]
            container = (meta.get("annotations") or {}).get("kubectl.kubernetes.io/default-container") or (
                containers[0] if containers else None
            )
            response = core.read_namespaced_pod_log(
                meta["name"],
                namespace,
                container=container,
                tail_lines=LOG_TAIL_LINES,
                _preload_content=False,
            )
        except ApiException as error:
            return f"(no log: {error.status} {error.reason})"
        text = bytes(response.data).decode("utf-8", errors="replace")
        return text[-LOG_TAIL_CHARS:]

    def delete_check_job(self, env: str, namespace: str, name: str) -> None:
        """Delete with background propagation (its pods go after it); absent is fine."""
        try:
            client.BatchV1Api(self._client(env)).delete_namespaced_job(
                name, namespace, propagation_policy="Background", _preload_content=False
            )
        except ApiException as error:
            if error.status != 404:
                raise translate(error, "delete", f"job/{namespace}/{name}", env) from error
