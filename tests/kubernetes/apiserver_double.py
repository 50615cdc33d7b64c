"""A TEST DOUBLE of the Kubernetes API server, for tests only.

No kube-apiserver (nor kind, k3s or envtest binaries) can be installed on these machines, so the
``KubernetesCluster`` tests talk real HTTP through the official ``kubernetes`` client to this small
in-process server instead. It implements only the semantics that code relies on:

* GET / LIST / POST / PUT / PATCH / DELETE of namespaced apps/v1 Deployments and StatefulSets,
  batch/v1 CronJobs and Jobs, v1 Services and networking.k8s.io/v1 Ingresses;
* 404 with a ``Status`` body for a missing object, 409 ``Conflict`` for a PUT with a stale
  ``metadata.resourceVersion`` and for a POST of an existing name;
* ``resourceVersion`` incremented on every write that changes the object (a no-op apply keeps it);
* ``labelSelector`` on LIST (equality only, comma-separated);
* JSON merge patch (``application/merge-patch+json``) and server-side apply
  (``application/apply-patch+yaml`` with ``fieldManager``), the latter as create-or-merge.

It is not a conformance-grade server: no watches, no field ownership conflicts, no admission,
no controllers. Tests set ``status`` through :meth:`ApiServerDouble.set_status` and can make the
next request fail with :meth:`ApiServerDouble.fail_next`. Run one double per environment.
"""

import copy
import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

Obj = dict[str, Any]

# URL prefix + plural -> (apiVersion, kind)
RESOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("/apis/apps/v1", "deployments"): ("apps/v1", "Deployment"),
    ("/apis/apps/v1", "statefulsets"): ("apps/v1", "StatefulSet"),
    ("/apis/batch/v1", "cronjobs"): ("batch/v1", "CronJob"),
    ("/apis/batch/v1", "jobs"): ("batch/v1", "Job"),
    ("/api/v1", "services"): ("v1", "Service"),
    ("/apis/networking.k8s.io/v1", "ingresses"): ("networking.k8s.io/v1", "Ingress"),
}


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


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


def _selects(selector: str, labels: dict[str, str]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        key, _, value = term.replace("==", "=").partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


class ApiServerDouble:
    """One fake cluster: objects keyed by (plural, namespace, name), served over HTTP on 127.0.0.1."""

    def __init__(self, name: str = "", journal: list[tuple[str, str, str]] | None = None) -> None:
        """name and a journal shared by several doubles let tests see the order of calls across clusters."""
        self.name = name
        self.journal = journal if journal is not None else []
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.lock = threading.Lock()
        self.version = 0
        self.requests: list[tuple[str, str]] = []
        self.failures: list[tuple[int, str]] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                code, body = double.handle(self.command, self.path, raw, self.headers.get("Content-Type", ""))
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def start(self) -> "ApiServerDouble":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- test helpers --------------------------------------------------------------------
    def put_object(self, obj: Obj) -> Obj:
        """Store an object directly (creationTimestamp and status are kept as given)."""
        plural = next(p for (_, p), (_, k) in RESOURCES.items() if k == obj["kind"])
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", "default")
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

    def fail_next(self, code: int, reason: str) -> None:
        """Make the next request answer with this HTTP error (e.g. 403 Forbidden, 500)."""
        self.failures.append((code, reason))

    # --- request handling ----------------------------------------------------------------
    def handle(self, method: str, path: str, raw: bytes, content_type: str) -> tuple[int, Obj]:
        url = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.requests.append((method, url.path))
        self.journal.append((self.name, method, url.path))
        try:
            if self.failures:
                code, reason = self.failures.pop(0)
                raise ApiError(code, reason, f"injected {code} {reason}")
            with self.lock:
                return self._route(method, url.path, query, raw, content_type)
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
    ) -> tuple[int, Obj]:
        parts = path.rstrip("/").split("/")
        if "namespaces" not in parts:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource {path}")
        ns_at = parts.index("namespaces")
        prefix = "/".join(parts[:ns_at])
        rest = parts[ns_at + 1 :]
        if len(rest) < 2 or (prefix, rest[1]) not in RESOURCES:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource {path}")
        namespace, plural = rest[0], rest[1]
        api_version, kind = RESOURCES[(prefix, plural)]
        name = rest[2] if len(rest) > 2 else None
        key = (plural, namespace, name or "")
        body: Obj = {}
        if raw:
            body = yaml.safe_load(raw) if "yaml" in ctype else json.loads(raw)

        if name is None and method == "GET":
            selector = query.get("labelSelector", "")
            items = [
                copy.deepcopy(o)
                for (p, ns, _), o in sorted(self.objects.items())
                if p == plural and ns == namespace and _selects(selector, o["metadata"].get("labels") or {})
            ]
            return 200, {
                "apiVersion": api_version,
                "kind": f"{kind}List",
                "metadata": {"resourceVersion": str(self.version)},
                "items": items,
            }
        if name is None and method == "POST":
            meta = body.setdefault("metadata", {})
            if (plural, namespace, meta.get("name", "")) in self.objects:
                raise ApiError(409, "AlreadyExists", f'{plural} "{meta.get("name")}" already exists')
            body.update(apiVersion=api_version, kind=kind)
            return 201, self._store(plural, namespace, meta["name"], body, None)
        if name is None:
            raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a collection")

        existing = self.objects.get(key)
        missing = ApiError(404, "NotFound", f'{plural} "{name}" not found')
        if method == "GET":
            if existing is None:
                raise missing
            return 200, copy.deepcopy(existing)
        if method == "DELETE":
            if existing is None:
                raise missing
            del self.objects[key]
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
            if obj == existing:
                return copy.deepcopy(existing)
            if obj.get("spec") != existing.get("spec"):
                meta["generation"] = int(old.get("generation", 1)) + 1
        else:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            meta.setdefault("generation", 1)
        self.version += 1
        meta["resourceVersion"] = str(self.version)
        self.objects[(plural, namespace, name)] = obj
        return copy.deepcopy(obj)
