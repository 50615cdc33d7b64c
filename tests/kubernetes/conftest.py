"""Two API server doubles (blue "eks", green "fargate") and official clients pointed at them."""

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from cutover.platform.kubernetes_cluster import KubernetesCluster
from tests.kubernetes.apiserver_double import ApiServerDouble

NS = "shop"


def api_client(url: str) -> client.ApiClient:
    configuration = client.Configuration(host=url)
    configuration.retries = 0
    return client.ApiClient(configuration)


@pytest.fixture
def doubles() -> Iterator[dict[str, ApiServerDouble]]:
    journal: list[tuple[str, str, str]] = []
    servers = {env: ApiServerDouble(env, journal).start() for env in ("eks", "fargate")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def cluster(doubles: dict[str, ApiServerDouble]) -> Iterator[KubernetesCluster]:
    clients = {env: api_client(double.url) for env, double in doubles.items()}
    yield KubernetesCluster(clients, source_env="eks")
    for c in clients.values():
        c.close()


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
