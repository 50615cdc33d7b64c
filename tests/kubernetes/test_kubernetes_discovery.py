"""Discovery by label selector, what Fargate cannot run, and exposure through Gateway API HTTPRoutes."""

from typing import Any

import pytest

from cutover.platform.errors import PermanentError
from cutover.platform.kubernetes.cluster import KubernetesCluster
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import NS, cronjob, daemonset, deployment, httproute, service

Doubles = dict[str, ApiServerDouble]


def with_pod_spec(obj: dict[str, Any], **fields: Any) -> dict[str, Any]:
    obj["spec"]["template"]["spec"].update(fields)
    return obj


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "app", "image": "registry/app:1", **fields}


# --- what Fargate cannot run ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pod_spec", "reason"),
    [
        ({"hostNetwork": True}, "pod uses hostNetwork"),
        ({"hostPID": True}, "pod uses hostPID"),
        ({"hostIPC": True}, "pod uses hostIPC"),
        ({"containers": [container(securityContext={"privileged": True})]}, "container app is privileged"),
        (
            {"initContainers": [container(name="init", securityContext={"privileged": True})]},
            "container init is privileged",
        ),
        (
            {
                "containers": [
                    container(ports=[{"containerPort": 80, "hostPort": 8080}, {"containerPort": 9}])
                ]
            },
            "container app uses hostPort 8080",
        ),
        ({"volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}]}, "pod mounts hostPath logs"),
        (
            {"containers": [container(resources={"limits": {"nvidia.com/gpu": "1", "cpu": "2"}})]},
            "container app requests GPUs (nvidia.com/gpu)",
        ),
        (
            {"containers": [container(resources={"requests": {"gpu.intel.com/i915": "1"}})]},
            "container app requests GPUs (gpu.intel.com/i915)",
        ),
    ],
)
def test_each_thing_fargate_cannot_run_is_named(
    doubles: Doubles, cluster: KubernetesCluster, pod_spec: dict[str, Any], reason: str
) -> None:
    doubles["eks"].put_object(with_pod_spec(deployment("web"), **pod_spec))
    found = cluster.find("eks", NS, "deployment", "web")
    assert found is not None and found.unsupported == reason


def test_several_reasons_are_joined_and_ordinary_pods_have_none(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    ordinary = container(
        securityContext={"privileged": False, "runAsNonRoot": True},
        ports=[{"containerPort": 80}],
        resources={"limits": {"cpu": "1", "memory": "1Gi", "example.com/widget": "1"}},
    )
    doubles["eks"].put_object(
        with_pod_spec(deployment("web"), containers=[ordinary], volumes=[{"name": "tmp", "emptyDir": {}}])
    )
    found = cluster.find("eks", NS, "deployment", "web")
    assert found is not None and found.unsupported == ""
    blocked = container(name="agent", securityContext={"privileged": True})
    doubles["eks"].put_object(with_pod_spec(daemonset("agent"), hostPID=True, containers=[blocked]))
    found = cluster.find("eks", NS, "daemonset", "agent")
    assert found is not None
    assert found.unsupported == "Fargate runs no DaemonSets; pod uses hostPID; container agent is privileged"


# --- discover ---------------------------------------------------------------------------------
def labelled(obj: dict[str, Any], **labels: str) -> dict[str, Any]:
    obj["metadata"]["labels"] = labels
    return obj


def test_discover_lists_every_kind_matching_the_selector_sorted_by_kind_then_name(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    blue = doubles["eks"]
    for obj in (
        labelled(deployment("web", replicas=4), team="payments", tier="front"),
        labelled(deployment("api"), team="payments", tier="back"),
        labelled(deployment("search"), team="search"),
        labelled(deployment("db", replicas=2, kind="StatefulSet"), team="payments"),
        labelled(cronjob("nightly", suspend=True), team="payments"),
        labelled(daemonset("agent"), team="payments"),
        service("web-public", "web", "LoadBalancer"),
    ):
        blue.put_object(obj)
    found = cluster.discover("eks", NS, "team=payments")
    assert [(w.kind, w.name) for w in found] == [
        ("cronjob", "nightly"),
        ("daemonset", "agent"),
        ("deployment", "api"),
        ("deployment", "web"),
        ("statefulset", "db"),
    ]
    by_name = {w.name: w for w in found}
    assert all(w.service == w.name and w.namespace == NS for w in found)
    assert by_name["web"].exposed and by_name["web"].replicas == 4 and not by_name["api"].exposed
    assert by_name["db"].replicas == 2 and by_name["nightly"].suspended
    assert by_name["agent"].unsupported == "Fargate runs no DaemonSets" and by_name["web"].unsupported == ""
    lists = [r for r in blue.requests if r.query.get("labelSelector")]
    assert len(lists) == 4 and {r.query["labelSelector"] for r in lists} == {"team=payments"}
    narrowed = cluster.discover("eks", NS, "team=payments,tier=back")
    assert [(w.kind, w.name) for w in narrowed] == [("deployment", "api")]


def test_discover_of_nothing_is_empty(cluster: KubernetesCluster) -> None:
    assert cluster.discover("eks", NS, "team=nobody") == []


# --- HTTPRoute exposure ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("backend_ref", "exposed"),
    [
        ({"name": "web", "port": 80}, True),
        ({"kind": "Service", "group": "", "name": "web", "namespace": NS}, True),
        ({"name": "web", "namespace": "elsewhere"}, False),
        ({"kind": "ServiceImport", "group": "multicluster.x-k8s.io", "name": "web"}, False),
        ({"name": "other-app"}, False),
    ],
)
def test_httproute_to_a_selecting_service_makes_it_exposed(
    doubles: Doubles, cluster: KubernetesCluster, backend_ref: dict[str, Any], exposed: bool
) -> None:
    blue = doubles["eks"]
    blue.put_object(deployment("web"))
    blue.put_object(service("web", "web"))
    blue.put_object(service("other-app", "other"))
    blue.put_object(httproute("shop", {"name": "unrelated"}, backend_ref))
    found = cluster.find("eks", NS, "deployment", "web")
    assert found is not None and found.exposed is exposed


def reference_grant(from_namespace: str, service_name: str | None = None) -> dict[str, Any]:
    to: dict[str, Any] = {"group": "", "kind": "Service"}
    if service_name:
        to["name"] = service_name
    return {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": f"from-{from_namespace}", "namespace": NS},
        "spec": {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": from_namespace}
            ],
            "to": [to],
        },
    }


@pytest.mark.parametrize(
    ("grant", "exposed"),
    [
        (None, False),
        (reference_grant("gateways"), True),
        (reference_grant("gateways", "web"), True),
        (reference_grant("gateways", "other-app"), False),
        (reference_grant("elsewhere"), False),
    ],
)
def test_a_route_in_another_namespace_counts_when_a_reference_grant_allows_it(
    doubles: Doubles, cluster: KubernetesCluster, grant: dict[str, Any] | None, exposed: bool
) -> None:
    blue = doubles["eks"]
    blue.put_object(deployment("web"))
    blue.put_object(service("web", "web"))
    route = httproute("public", {"name": "web", "namespace": NS})
    route["metadata"]["namespace"] = "gateways"
    blue.put_object(route)
    if grant:
        blue.put_object(grant)
    found = cluster.find("eks", NS, "deployment", "web")
    assert found is not None and found.exposed is exposed


def test_cluster_without_gateway_api_has_no_routes() -> None:
    with start_double("eks", gateway_api=False) as blue:
        cluster = KubernetesCluster({"eks": blue.api_client()}, source_env="eks")
        blue.put_object(deployment("web"))
        blue.put_object(service("web", "web"))
        found = cluster.find("eks", NS, "deployment", "web")
        assert found is not None and not found.exposed
        assert any("httproutes" in r.path for r in blue.requests)


def test_denied_httproute_list_is_permanent(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(deployment("web"))
    doubles["eks"].fail_next(403, "Forbidden", "/httproutes")
    with pytest.raises(PermanentError) as caught:
        cluster.find("eks", NS, "deployment", "web")
    assert caught.value.kind == "k8s.403" and caught.value.message.startswith(
        "list httproutes in all namespaces in eks failed: 403"
    )
