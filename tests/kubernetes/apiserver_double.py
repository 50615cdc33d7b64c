"""A TEST DOUBLE of the Kubernetes API server, for tests only.

No kube-apiserver (nor kind, k3s or envtest binaries) can be installed on these machines, so the
``KubernetesCluster`` tests talk real HTTP through the official ``kubernetes`` client to this small
in-process server instead. It implements only the semantics that code relies on:

* GET / LIST / POST / PUT / PATCH / DELETE of namespaced apps/v1 Deployments, StatefulSets and
  DaemonSets, batch/v1 CronJobs and Jobs, v1 Services, ConfigMaps, Secrets, Pods and
  PersistentVolumeClaims, cluster-scoped v1 PersistentVolumes and storage.k8s.io/v1 StorageClasses,
  networking.k8s.io/v1 Ingresses, gateway.networking.k8s.io/v1 HTTPRoutes and v1beta1
  ReferenceGrants (custom resources: ``ApiServerDouble(gateway_api=False)`` plays a cluster without
  the Gateway API CRDs, where that group answers 404);
* LIST of a namespaced resource across all namespaces (``/apis/GROUP/VERSION/PLURAL``);
* 404 with a ``Status`` body for a missing object, 409 ``Conflict`` for a PUT with a stale
  ``metadata.resourceVersion`` and for a POST of an existing name;
* ``resourceVersion`` incremented on every write that changes the object (a no-op apply keeps it),
  ``metadata.generation`` on every write that changes ``spec``;
* ``labelSelector`` on LIST (equality only, comma-separated); list items of built-in types carry
  no ``apiVersion``/``kind``, as from a real server;
* JSON merge patch (``application/merge-patch+json``) and server-side apply
  (``application/apply-patch+yaml`` with ``fieldManager``), the latter as create-or-merge;
* plain HTTP, or HTTPS with a throw-away CA (``tls=True``; the CA file is ``ca_file``).

Every request is recorded in ``requests`` (method, path, query, lower-cased headers) and, with the
double's name, in ``journal``, which several doubles may share to show the order across clusters.

It is not a conformance-grade server: no watches, no field ownership conflicts, no admission, no
garbage collection. Controllers are off unless asked for; tests then set ``status`` through
:meth:`ApiServerDouble.set_status`. For end-to-end tests, :meth:`simulate_controllers` makes every
later write of a Deployment or StatefulSet roll out at once, and :meth:`run_schedules` plays the
CronJob controller once (Jobs finish as told; :meth:`finish_job` ends a running one).
:meth:`add_job_pod` plays the Job controller's pod with a log (served as plain text by GET
``pods/NAME/log``, with ``tailLines``). :meth:`fail_next` makes the next request fail. Run one
double per environment::

    with start_double("eks") as double:
        api_client = double.api_client()
"""

import copy
import json
import shutil
import ssl
import tempfile
import threading
import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qs, urlparse

import yaml
from kubernetes import client

Obj = dict[str, Any]
JobResult = Literal["running", "succeeded", "failed"]

GATEWAY_PREFIX = "/apis/gateway.networking.k8s.io/v1"
# URL prefix + plural -> (apiVersion, kind)
RESOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("/apis/apps/v1", "deployments"): ("apps/v1", "Deployment"),
    ("/apis/apps/v1", "statefulsets"): ("apps/v1", "StatefulSet"),
    ("/apis/apps/v1", "daemonsets"): ("apps/v1", "DaemonSet"),
    ("/apis/batch/v1", "cronjobs"): ("batch/v1", "CronJob"),
    ("/apis/batch/v1", "jobs"): ("batch/v1", "Job"),
    ("/api/v1", "services"): ("v1", "Service"),
    ("/api/v1", "configmaps"): ("v1", "ConfigMap"),
    ("/api/v1", "secrets"): ("v1", "Secret"),
    ("/api/v1", "persistentvolumeclaims"): ("v1", "PersistentVolumeClaim"),
    ("/api/v1", "pods"): ("v1", "Pod"),
    ("/api/v1", "persistentvolumes"): ("v1", "PersistentVolume"),
    ("/apis/storage.k8s.io/v1", "storageclasses"): ("storage.k8s.io/v1", "StorageClass"),
    ("/apis/networking.k8s.io/v1", "ingresses"): ("networking.k8s.io/v1", "Ingress"),
    (GATEWAY_PREFIX, "httproutes"): ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    (f"{GATEWAY_PREFIX}beta1", "referencegrants"): ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
}
CUSTOM_RESOURCES = {"httproutes", "referencegrants"}
# Stored under the namespace "" and addressed without /namespaces/NS.
CLUSTER_SCOPED = {"persistentvolumes", "storageclasses"}
ROLLED_OUT_BY_CONTROLLERS = {"deployments", "statefulsets"}


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


class Request(NamedTuple):
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: null deletes, objects merge, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _address(path: str) -> tuple[str | None, str, str | None] | None:
    """(namespace, plural, name or None) of a resource path; namespace "" for cluster-scoped ones,
    None for a namespaced resource listed across all namespaces."""
    parts = path.rstrip("/").split("/")
    if "namespaces" in parts:
        at = parts.index("namespaces")
        prefix, rest = "/".join(parts[:at]), parts[at + 1 :]
        if len(rest) < 2 or (prefix, rest[1]) not in RESOURCES or rest[1] in CLUSTER_SCOPED:
            return None
        return rest[0], rest[1], rest[2] if len(rest) > 2 else None
    for prefix, plural in RESOURCES:
        if plural in CLUSTER_SCOPED and (path + "/").startswith(f"{prefix}/{plural}/"):
            name = path[len(prefix) + len(plural) + 2 :].strip("/")
            return "", plural, name or None
        if path.rstrip("/") == f"{prefix}/{plural}":
            return None, plural, None
    return None


def _selects(selector: str, labels: dict[str, str]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        key, _, value = term.replace("==", "=").partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_status(result: JobResult) -> Obj:
    """A Job's status as the Job controller leaves it: active, Complete or Failed (backoff exhausted)."""
    now = _now()
    if result == "running":
        return {"active": 1, "startTime": now}
    if result == "succeeded":
        complete = {"type": "Complete", "status": "True", "lastTransitionTime": now}
        return {"succeeded": 1, "startTime": now, "completionTime": now, "conditions": [complete]}
    failed = {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "lastTransitionTime": now}
    return {"failed": 1, "startTime": now, "conditions": [failed]}


def rolled_out_status(obj: Obj) -> Obj:
    """A Deployment/StatefulSet status once its controller has rolled out the current spec."""
    replicas = int((obj.get("spec") or {}).get("replicas", 1))
    return {
        "observedGeneration": obj["metadata"]["generation"],
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
    }


def _write_test_certificates(directory: Path) -> tuple[str, str, str]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key) paths."""
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)

    def build(subject: str, issuer: str, key: Any, signer: Any, is_ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
            )
        )
        if is_ca:
            usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
            builder = builder.add_extension(usage, critical=True)
        else:
            san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
            usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
            builder = (
                builder.add_extension(san, critical=False)
                .add_extension(usage, critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("api-double-ca", "api-double-ca", ca_key, ca_key, True)
    server = build("127.0.0.1", "api-double-ca", server_key, ca_key, False)
    paths = directory / "ca.crt", directory / "server.crt", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(paths[0]), str(paths[1]), str(paths[2])


class ApiServerDouble:
    """One fake cluster: objects keyed by (plural, namespace, name), served on 127.0.0.1."""

    def __init__(
        self,
        name: str = "",
        journal: list[tuple[str, str, str]] | None = None,
        gateway_api: bool = True,
        tls: bool = False,
    ) -> None:
        """name and a journal shared by several doubles let tests see the order of calls across clusters."""
        self.name = name
        self.journal = journal if journal is not None else []
        self.gateway_api = gateway_api
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.lock = threading.Lock()
        self.version = 0
        self.job_sequence = 0
        self.logs: dict[tuple[str, str, str], str] = {}  # (namespace, pod, container) -> log
        self.controllers = False
        self.requests: list[Request] = []
        self.failures: list[tuple[int, str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.ca_file: str | None = None
        self.cert_dir: str | None = None
        if tls:
            self.cert_dir = tempfile.mkdtemp(prefix="api-double-")
            self.ca_file, cert, key = _write_test_certificates(Path(self.cert_dir))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                code, body = double.handle(self.command, self.path, raw, headers)
                text = isinstance(body, str)  # a pod's log
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain" if text else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler

    def start(self) -> "ApiServerDouble":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.cert_dir:
            shutil.rmtree(self.cert_dir, ignore_errors=True)

    def __enter__(self) -> "ApiServerDouble":
        return self if self.thread.is_alive() else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def api_client(self) -> client.ApiClient:
        """An official client for this double (no retries, so injected failures reach the caller)."""
        configuration = client.Configuration(host=self.url)
        configuration.retries = 0
        if self.ca_file:
            configuration.ssl_ca_cert = self.ca_file
        return client.ApiClient(configuration)

    # --- test helpers --------------------------------------------------------------------
    def put_object(self, obj: Obj) -> Obj:
        """Store an object directly (creationTimestamp and status kept as given, unless controllers run)."""
        plural = next(p for (_, p), (_, k) in RESOURCES.items() if k == obj["kind"])
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", "" if plural in CLUSTER_SCOPED else "default")
        with self.lock:
            return self._store(plural, meta["namespace"], meta["name"], copy.deepcopy(obj), None)

    def get_object(self, plural: str, namespace: str, name: str) -> Obj | None:
        with self.lock:
            found = self.objects.get((plural, namespace, name))
            return copy.deepcopy(found) if found else None

    def set_status(self, plural: str, namespace: str, name: str, status: Obj) -> None:
        """Play the controller: replace an object's status (a write, so resourceVersion moves)."""
        with self.lock:
            obj = self.objects[(plural, namespace, name)]
            obj["status"] = copy.deepcopy(status)
            self.version += 1
            obj["metadata"]["resourceVersion"] = str(self.version)

    def fail_next(self, code: int, reason: str, path_part: str = "") -> None:
        """Make the next request (whose path contains path_part) answer with this HTTP error (403, 500...)."""
        self.failures.append((code, reason, path_part))

    # --- controller simulation -------------------------------------------------------------
    def simulate_controllers(self) -> "ApiServerDouble":
        """From now on every write of a Deployment/StatefulSet leaves it rolled out (status matches spec)."""
        self.controllers = True
        return self

    def run_schedules(
        self, fail: Collection[str] = frozenset(), running: Collection[str] = frozenset()
    ) -> list[str]:
        """Play the CronJob controller once: one Job for every unsuspended CronJob, named after it.

        Each Job is owned by its CronJob (ownerReferences kind, name, uid) and is created finished:
        succeeded, or failed for CronJob names in ``fail``, or still running for names in ``running``.
        Returns the new Jobs' names."""
        with self.lock:
            crons = [o for (p, _, _), o in sorted(self.objects.items()) if p == "cronjobs"]
            due = [c for c in crons if not (c.get("spec") or {}).get("suspend", False)]
            return [self._start_job(c, fail, running) for c in due]

    def finish_job(self, namespace: str, name: str, failed: bool = False) -> None:
        """End a running Job as the Job controller would."""
        self.set_status("jobs", namespace, name, job_status("failed" if failed else "succeeded"))

    def _start_job(self, cron: Obj, fail: Collection[str], running: Collection[str]) -> str:
        meta = cron["metadata"]
        cron_name = meta["name"]
        result: JobResult = (
            "failed" if cron_name in fail else "running" if cron_name in running else "succeeded"
        )
        self.job_sequence += 1
        name = f"{cron_name}-{self.job_sequence:08d}"  # sortable, like the controller's time suffix
        owner = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": cron_name,
            "uid": meta["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "creationTimestamp": _now(), "ownerReferences": [owner]},
            "spec": copy.deepcopy(((cron.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}),
            "status": job_status(result),
        }
        self._store("jobs", meta["namespace"], name, job, None)
        return name

    def add_job_pod(self, namespace: str, job_name: str, log: str, container: str = "main") -> str:
        """Play the Job controller's pod for a Job: labelled with its uid and name, with a log."""
        with self.lock:
            job = self.objects[("jobs", namespace, job_name)]
            self.job_sequence += 1
            name = f"{job_name}-{self.job_sequence:05d}"
            labels = {"controller-uid": job["metadata"]["uid"], "job-name": job_name}
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "labels": labels},
                "spec": {"containers": [{"name": container, "image": "registry/shop:1.0"}]},
            }
            self._store("pods", namespace, name, pod, None)
            self.logs[(namespace, name, container)] = log
            return name

    def _pod_log(self, method: str, namespace: str, pod: str, query: dict[str, str]) -> tuple[int, str]:
        """GET pods/NAME/log: the container's log (the only one's without ``container``), its last
        ``tailLines`` lines if asked."""
        if method != "GET":
            raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a pod's log")
        found = self.objects.get(("pods", namespace, pod))
        if found is None:
            raise ApiError(404, "NotFound", f'pods "{pod}" not found')
        names = [c["name"] for c in found["spec"]["containers"]]
        container = query.get("container") or (names[0] if len(names) == 1 else "")
        if container not in names:
            raise ApiError(400, "BadRequest", f"a container name must be specified for pod {pod}")
        lines = self.logs.get((namespace, pod, container), "").splitlines(keepends=True)
        if "tailLines" in query:
            lines = lines[-int(query["tailLines"]) :] if int(query["tailLines"]) else []
        return 200, "".join(lines)

    # --- request handling ----------------------------------------------------------------
    def handle(self, method: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Obj | str]:
        url = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.requests.append(Request(method, url.path, query, headers))
        self.journal.append((self.name, method, url.path))
        try:
            failure = next((f for f in self.failures if f[2] in url.path), None)
            if failure:
                self.failures.remove(failure)
                raise ApiError(failure[0], failure[1], f"injected {failure[0]} {failure[1]}")
            with self.lock:
                return self._route(method, url.path, query, raw, headers.get("content-type", ""))
        except ApiError as error:
            return error.code, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": error.message,
                "reason": error.reason,
                "code": error.code,
            }

    def _route(
        self, method: str, path: str, query: dict[str, str], raw: bytes, ctype: str
    ) -> tuple[int, Obj | str]:
        unknown = ApiError(404, "NotFound", f"the server could not find the requested resource {path}")
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "namespaces"] and parts[4:5] == ["pods"] and parts[6:] == ["log"]:
            return self._pod_log(method, parts[3], parts[5], query)
        if path.startswith(GATEWAY_PREFIX) and not self.gateway_api:
            raise unknown
        address = _address(path)
        if address is None:
            raise unknown
        namespace, plural, name = address
        api_version, kind = next(v for (_, p), v in RESOURCES.items() if p == plural)
        if namespace is None:
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed across namespaces")
            return self._collection(method, plural, None, query, {})
        body: Obj = {}
        if raw:
            body = yaml.safe_load(raw) if "yaml" in ctype else json.loads(raw)
        if name is None:
            return self._collection(method, plural, namespace, query, body)

        existing = self.objects.get((plural, namespace, name))
        missing = ApiError(404, "NotFound", f'{plural} "{name}" not found')
        if method == "GET":
            if existing is None:
                raise missing
            return 200, copy.deepcopy(existing)
        if method == "DELETE":
            if existing is None:
                raise missing
            del self.objects[(plural, namespace, name)]
            return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": {}}
        if method == "PUT":
            if existing is None:
                raise missing
            sent = body.get("metadata", {}).get("resourceVersion")
            if sent and sent != existing["metadata"]["resourceVersion"]:
                raise ApiError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                )
            body.update(apiVersion=api_version, kind=kind)
            return 200, self._store(plural, namespace, name, body, existing)
        if method == "PATCH":
            if ctype.startswith("application/merge-patch+json"):
                if existing is None:
                    raise missing
                return 200, self._store(plural, namespace, name, merge_patch(existing, body), existing)
            if ctype.startswith("application/apply-patch+yaml"):
                if not query.get("fieldManager"):
                    raise ApiError(400, "BadRequest", "fieldManager is required for apply patch")
                if body.get("metadata", {}).get("name", name) != name:
                    raise ApiError(400, "BadRequest", "the name of the object does not match the URL")
                merged = merge_patch(existing or {}, body)
                merged.update(apiVersion=api_version, kind=kind)
                merged.setdefault("metadata", {})["name"] = name
                code = 200 if existing else 201
                return code, self._store(plural, namespace, name, merged, existing)
            raise ApiError(415, "UnsupportedMediaType", f"the double does not support {ctype}")
        raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed")

    def _collection(
        self, method: str, plural: str, namespace: str | None, query: dict[str, str], body: Obj
    ) -> tuple[int, Obj]:
        api_version, kind = next(v for (_, p), v in RESOURCES.items() if p == plural)
        if method == "GET":
            selector = query.get("labelSelector", "")
            items = [
                copy.deepcopy(o)
                for (p, ns, _), o in sorted(self.objects.items())
                if p == plural
                and namespace in (ns, None)
                and _selects(selector, o["metadata"].get("labels") or {})
            ]
            if plural not in CUSTOM_RESOURCES:
                for item in items:
                    item.pop("apiVersion", None)
                    item.pop("kind", None)
            return 200, {
                "apiVersion": api_version,
                "kind": f"{kind}List",
                "metadata": {"resourceVersion": str(self.version)},
                "items": items,
            }
        if method == "POST" and namespace is not None:  # not on a list across all namespaces
            meta = body.setdefault("metadata", {})
            if (plural, namespace, meta.get("name", "")) in self.objects:
                raise ApiError(409, "AlreadyExists", f'{plural} "{meta.get("name")}" already exists')
            body.update(apiVersion=api_version, kind=kind)
            return 201, self._store(plural, namespace, meta["name"], body, None)
        raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a collection")

    def _store(self, plural: str, namespace: str, name: str, obj: Obj, existing: Obj | None) -> Obj:
        """Write obj, keeping server-owned metadata; a write that changes nothing keeps the version."""
        meta = obj.setdefault("metadata", {})
        meta.update(name=name, namespace=namespace)
        if existing is not None:
            old = existing["metadata"]
            for field in ("uid", "creationTimestamp", "generation", "resourceVersion"):
                if field in old:
                    meta[field] = old[field]
            if "status" in existing and "status" not in obj:
                obj["status"] = existing["status"]
            if obj.get("spec") != existing.get("spec"):
                meta["generation"] = int(old.get("generation", 1)) + 1
        else:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", _now())
            meta.setdefault("generation", 1)
        if self.controllers and plural in ROLLED_OUT_BY_CONTROLLERS:
            obj["status"] = rolled_out_status(obj)
        if existing is not None and obj == existing:
            return copy.deepcopy(existing)
        self.version += 1
        meta["resourceVersion"] = str(self.version)
        self.objects[(plural, namespace, name)] = obj
        return copy.deepcopy(obj)


def start_double(
    name: str = "",
    journal: list[tuple[str, str, str]] | None = None,
    gateway_api: bool = True,
    tls: bool = False,
) -> ApiServerDouble:
    """A running double on a loopback port; stop it (or use it as a context manager) when done."""
    return ApiServerDouble(name, journal, gateway_api=gateway_api, tls=tls).start()
