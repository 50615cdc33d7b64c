"""Two API server doubles (blue "eks", green "fargate"), official clients for them, and manifests."""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from cutover.models import ServiceRef, WorkloadKind
from cutover.platform.kubernetes.cluster import KubernetesCluster
from cutover.platform.kubernetes.storage import DEFAULT_CLASS_ANNOTATION
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double

NS = "shop"


@pytest.fixture
def doubles() -> Iterator[dict[str, ApiServerDouble]]:
    journal: list[tuple[str, str, str]] = []
    servers = {env: start_double(env, journal) for env in ("eks", "fargate")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def cluster(doubles: dict[str, ApiServerDouble]) -> Iterator[KubernetesCluster]:
    clients = {env: double.api_client() for env, double in doubles.items()}
    yield KubernetesCluster(clients, source_env="eks")
    for c in clients.values():
        c.close()


def write_kubeconfig(path: Path, doubles: Mapping[str, ApiServerDouble], token: str = "not-a-secret") -> Path:
    """A kubeconfig with a context `ctx-ENV` per double, all as one bearer-token user."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": env, "cluster": {"server": d.url}} for env, d in doubles.items()],
        "users": [{"name": "worker", "user": {"token": token}}],
        "contexts": [
            {"name": f"ctx-{env}", "context": {"cluster": env, "user": "worker"}} for env in doubles
        ],
        "current-context": f"ctx-{next(iter(doubles))}",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def ref(kind: str, name: str, env: str = "fargate") -> ServiceRef:
    """A ref as the workflow builds it: with the replicas and image recorded in blue."""
    replicas = 1 if kind == "cronjob" else 3
    return ServiceRef(
        env=env,
        service=name,
        namespace=NS,
        kind=WorkloadKind(kind),
        name=name,
        replicas=replicas,
        image="registry/shop:1.0",
    )


def pod_template(app: str, image: str = "registry/shop:1.0") -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": [{"name": app, "image": image}],
            "nodeSelector": {"node.kubernetes.io/instance-type": "m5.large"},
            "tolerations": [{"key": "dedicated", "operator": "Exists"}],
            "affinity": {"nodeAffinity": {}},
        },
    }


def deployment(name: str, replicas: int = 3, kind: str = "Deployment") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"app": name},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "deployment.kubernetes.io/revision": "4",
                "team": "payments",
            },
            "ownerReferences": [{"kind": "Something", "name": "x", "uid": "1", "apiVersion": "v1"}],
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name),
        },
        "status": {"replicas": replicas, "availableReplicas": replicas},
    }


def cronjob(name: str, suspend: bool = False) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "schedule": "0 2 * * *",
            "suspend": suspend,
            "jobTemplate": {"spec": {"template": pod_template(name)}},
        },
    }


def service(name: str, app: str, type_: str = "ClusterIP") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"type": type_, "selector": {"app": app}, "ports": [{"port": 80}]},
    }


def ingress(name: str, backend_service: str, default: bool = False) -> dict[str, Any]:
    backend = {"service": {"name": backend_service, "port": {"number": 80}}}
    spec: dict[str, Any] = (
        {"defaultBackend": backend}
        if default
        else {"rules": [{"host": "shop.example", "http": {"paths": [{"path": "/", "backend": backend}]}}]}
    )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def daemonset(name: str) -> dict[str, Any]:
    obj = deployment(name, kind="DaemonSet")
    del obj["spec"]["replicas"]
    obj["status"] = {}
    return obj


def httproute(name: str, *backend_refs: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "parentRefs": [{"name": "public"}],
            "rules": [{"matches": [{"path": {"value": "/"}}], "backendRefs": list(backend_refs)}],
        },
    }


def configmap(name: str, data: dict[str, str], binary: dict[str, str] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS},
    }
    obj["data"] = data
    if binary:
        obj["binaryData"] = binary
    return obj


def secret(name: str, data: dict[str, str]) -> dict[str, Any]:
    """data values are taken as already base64-encoded, as the API stores them."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NS}, "data": data}


def storage_class(name: str, provisioner: str, default: bool = False) -> dict[str, Any]:
    annotations = {DEFAULT_CLASS_ANNOTATION: "true"} if default else {}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": annotations},
        "provisioner": provisioner,
    }


def volume(name: str, source: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": source}


def claim(name: str, storage_class_name: str | None = None, bound_to: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteMany"]}
    if storage_class_name is not None:
        spec["storageClassName"] = storage_class_name
    if bound_to:
        spec["volumeName"] = bound_to
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def stateful_set(name: str, storage_class_name: str | None) -> dict[str, Any]:
    obj = deployment(name, kind="StatefulSet")
    template: dict[str, Any] = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
    if storage_class_name is not None:
        template["spec"]["storageClassName"] = storage_class_name
    obj["spec"]["volumeClaimTemplates"] = [template]
    return obj


def mounting_claim(name: str, claim_name: str) -> dict[str, Any]:
    obj = deployment(name)
    obj["spec"]["template"]["spec"]["volumes"] = [
        {"name": "shared", "persistentVolumeClaim": {"claimName": claim_name}},
        {"name": "scratch", "emptyDir": {}},
    ]
    return obj
