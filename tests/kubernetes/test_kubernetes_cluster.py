"""KubernetesCluster over real HTTP through the official client, against two API server doubles."""

from typing import Any

import pytest

from cutover.platform.errors import PermanentError, PlatformError, TransientError
from cutover.platform.kubernetes.cluster import KubernetesCluster
from cutover.platform.kubernetes.manifests import FARGATE_LABEL
from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import (
    NS,
    cronjob,
    daemonset,
    deployment,
    ingress,
    ref,
    service,
)

Doubles = dict[str, ApiServerDouble]


# --- find / classification -----------------------------------------------------------------
@pytest.mark.parametrize("service_type", ["LoadBalancer", "NodePort"])
def test_service_of_external_type_makes_it_exposed(
    doubles: Doubles, cluster: KubernetesCluster, service_type: str
) -> None:
    doubles["eks"].put_object(deployment("web", replicas=4))
    doubles["eks"].put_object(service("web-internal", "web"))
    doubles["eks"].put_object(service("web-public", "web", service_type))
    found = cluster.find("eks", NS, "deployment", "web")
    assert found is not None
    assert found.exposed and found.replicas == 4 and found.image == "registry/shop:1.0"


@pytest.mark.parametrize("default_backend", [False, True])
def test_service_behind_an_ingress_makes_it_exposed(
    doubles: Doubles, cluster: KubernetesCluster, default_backend: bool
) -> None:
    doubles["eks"].put_object(deployment("web"))
    doubles["eks"].put_object(service("web", "web"))
    doubles["eks"].put_object(ingress("shop", "web", default=default_backend))
    found = cluster.find("eks", NS, "deployment", "web")
    assert found is not None and found.exposed


def test_cluster_ip_only_or_other_apps_services_is_non_exposed(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    doubles["eks"].put_object(deployment("worker", kind="StatefulSet"))
    doubles["eks"].put_object(service("worker", "worker"))
    doubles["eks"].put_object(service("web-public", "web", "LoadBalancer"))
    doubles["eks"].put_object(ingress("shop", "web-public"))
    found = cluster.find("eks", NS, "statefulset", "worker")
    assert found is not None and not found.exposed and found.kind == "statefulset"


def test_cronjob_is_non_exposed_and_missing_is_none(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    doubles["eks"].put_object(service("nightly", "nightly", "LoadBalancer"))
    found = cluster.find("eks", NS, "cronjob", "nightly")
    assert found is not None and not found.exposed and found.image == "registry/shop:1.0"
    assert cluster.find("eks", NS, "deployment", "absent") is None


@pytest.mark.parametrize("suspend", [True, False])
def test_find_records_whether_a_cronjob_is_suspended(
    doubles: Doubles, cluster: KubernetesCluster, suspend: bool
) -> None:
    doubles["eks"].put_object(cronjob("nightly", suspend=suspend))
    found = cluster.find("eks", NS, "cronjob", "nightly")
    assert found is not None and found.suspended is suspend and found.unsupported == ""


def test_find_reads_a_daemonset_and_says_fargate_cannot_run_it(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    doubles["eks"].put_object(daemonset("log-agent"))
    found = cluster.find("eks", NS, "daemonset", "log-agent")
    assert found is not None and found.kind == "daemonset" and not found.suspended
    assert found.unsupported == "Fargate runs no DaemonSets"


# --- copy / remove ---------------------------------------------------------------------------
def test_copy_strips_cluster_fields_drops_placement_and_labels_for_fargate(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    doubles["eks"].put_object(deployment("web"))
    cluster.apply_copy(ref("deployment", "web"))
    copied = doubles["fargate"].get_object("deployments", NS, "web")
    assert copied is not None
    meta = copied["metadata"]
    assert "ownerReferences" not in meta and "managedFields" not in meta
    assert meta["annotations"] == {"team": "payments"}
    assert meta["uid"] != doubles["eks"].get_object("deployments", NS, "web")["metadata"]["uid"]  # type: ignore[index]
    assert "status" not in copied
    template = copied["spec"]["template"]
    assert template["metadata"]["labels"] == {"app": "web", FARGATE_LABEL: "true"}
    assert set(template["spec"]) == {"containers"}
    assert copied["spec"]["replicas"] == 3
    apply = doubles["fargate"].requests[-1]
    assert (apply.method, apply.path) == ("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/web")
    assert apply.query == {"fieldManager": "cutover", "force": "True"}
    assert apply.headers["content-type"] == "application/apply-patch+yaml"


def test_copy_pins_the_recorded_replicas_and_image(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(deployment("web", replicas=3))
    recorded = ref("deployment", "web").model_copy(update={"replicas": 5, "image": "registry/shop:0.9"})
    cluster.apply_copy(recorded)
    copied = doubles["fargate"].get_object("deployments", NS, "web")
    assert copied is not None and copied["spec"]["replicas"] == 5
    assert copied["spec"]["template"]["spec"]["containers"][0]["image"] == "registry/shop:0.9"


def test_copy_twice_changes_nothing(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(deployment("web"))
    cluster.apply_copy(ref("deployment", "web"))
    first = doubles["fargate"].get_object("deployments", NS, "web")
    cluster.apply_copy(ref("deployment", "web"))
    assert doubles["fargate"].get_object("deployments", NS, "web") == first


def test_cronjob_copy_is_created_suspended(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    cluster.apply_copy(ref("cronjob", "nightly"))
    copied = doubles["fargate"].get_object("cronjobs", NS, "nightly")
    assert copied is not None and copied["spec"]["suspend"] is True
    labels = copied["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert labels[FARGATE_LABEL] == "true"
    assert cluster.cron_enabled_in(NS, "nightly") == ["eks"]


def test_copy_of_missing_workload_is_permanent(cluster: KubernetesCluster) -> None:
    with pytest.raises(PermanentError) as caught:
        cluster.apply_copy(ref("deployment", "ghost"))
    assert caught.value.kind == "k8s.404"
    assert "deployment/shop/ghost" in str(caught.value) and "eks" in str(caught.value)


def test_remove_is_idempotent(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["fargate"].put_object(deployment("web"))
    cluster.remove_copy("fargate", NS, "deployment", "web")
    cluster.remove_copy("fargate", NS, "deployment", "web")
    assert doubles["fargate"].get_object("deployments", NS, "web") is None


def test_copy_of_a_daemonset_is_refused(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(daemonset("log-agent"))
    with pytest.raises(PermanentError) as caught:
        cluster.apply_copy(ref("daemonset", "log-agent"))
    assert caught.value.kind == "k8s.Unsupported"
    assert (
        caught.value.message == "copy daemonset/shop/log-agent to fargate refused: Fargate runs no DaemonSets"
    )
    assert doubles["fargate"].requests == []


def test_copy_of_a_workload_fargate_cannot_run_is_refused(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    privileged = deployment("web")
    privileged["spec"]["template"]["spec"]["hostNetwork"] = True
    doubles["eks"].put_object(privileged)
    with pytest.raises(PermanentError) as caught:
        cluster.apply_copy(ref("deployment", "web"))
    assert caught.value.kind == "k8s.Unsupported" and "pod uses hostNetwork" in str(caught.value)
    assert doubles["fargate"].get_object("deployments", NS, "web") is None


@pytest.mark.parametrize(("kind", "plural"), [("deployment", "deployments"), ("statefulset", "statefulsets")])
def test_scale_to_zero_keeps_the_object_with_no_replicas(
    doubles: Doubles, cluster: KubernetesCluster, kind: str, plural: str
) -> None:
    doubles["eks"].put_object(
        deployment("web", replicas=3, kind="Deployment" if kind == "deployment" else "StatefulSet")
    )
    before = doubles["eks"].get_object(plural, NS, "web")
    cluster.remove_copy("eks", NS, kind, "web", scale_to_zero=True)
    after = doubles["eks"].get_object(plural, NS, "web")
    assert before is not None and after is not None and after["spec"]["replicas"] == 0
    assert after["spec"]["template"] == before["spec"]["template"]
    patch = doubles["eks"].requests[-1]
    assert (patch.method, patch.headers["content-type"]) == ("PATCH", "application/merge-patch+json")


@pytest.mark.parametrize(("kind", "plural"), [("deployment", "deployments"), ("statefulset", "statefulsets")])
def test_set_replicas_patches_that_field_alone(
    doubles: Doubles, cluster: KubernetesCluster, kind: str, plural: str
) -> None:
    """How a revert after decommission brings blue back: as `kubectl scale`, not an apply."""
    doubles["eks"].put_object(
        deployment("web", replicas=0, kind="Deployment" if kind == "deployment" else "StatefulSet")
    )
    before = doubles["eks"].get_object(plural, NS, "web")
    cluster.set_replicas("eks", NS, kind, "web", 3)
    after = doubles["eks"].get_object(plural, NS, "web")
    assert before is not None and after is not None and after["spec"]["replicas"] == 3
    assert {**after["spec"], "replicas": 0} == before["spec"]
    assert [after["metadata"][f] for f in ("labels", "annotations")] == [
        before["metadata"][f] for f in ("labels", "annotations")
    ]
    patch = doubles["eks"].requests[-1]
    assert (patch.method, patch.headers["content-type"]) == ("PATCH", "application/merge-patch+json")


def test_set_replicas_of_a_missing_workload_or_a_cronjob_is_permanent(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    with pytest.raises(PermanentError) as missing:
        cluster.set_replicas("eks", NS, "deployment", "ghost", 2)
    assert missing.value.kind == "k8s.404" and "deployment/shop/ghost" in str(missing.value)
    with pytest.raises(PermanentError) as cron:
        cluster.set_replicas("eks", NS, "cronjob", "nightly", 2)
    assert cron.value.kind == "k8s.BadKind"


def test_scale_to_zero_suspends_a_cronjob(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    cluster.remove_copy("eks", NS, "cronjob", "nightly", scale_to_zero=True)
    kept = doubles["eks"].get_object("cronjobs", NS, "nightly")
    assert kept is not None and kept["spec"]["suspend"] is True
    assert cluster.cron_enabled_in(NS, "nightly") == []


def test_scale_to_zero_of_an_absent_object_is_fine_and_of_a_daemonset_refused(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    cluster.remove_copy("eks", NS, "deployment", "ghost", scale_to_zero=True)
    assert [r.method for r in doubles["eks"].requests] == ["PATCH"]
    with pytest.raises(PermanentError) as caught:
        cluster.remove_copy("eks", NS, "daemonset", "log-agent", scale_to_zero=True)
    assert caught.value.kind == "k8s.BadKind" and "daemonset/shop/log-agent" in str(caught.value)


def test_remove_denied_is_permanent_and_named(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["fargate"].fail_next(403, "Forbidden")
    with pytest.raises(PermanentError) as caught:
        cluster.remove_copy("fargate", NS, "deployment", "web")
    assert caught.value.kind == "k8s.403"
    assert caught.value.message.startswith("delete deployment/shop/web in fargate failed: 403 Forbidden")


# --- health ----------------------------------------------------------------------------------
def test_health_follows_rollout_status(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(deployment("web", replicas=3))
    cluster.apply_copy(ref("deployment", "web"))
    green = doubles["fargate"]
    assert not cluster.available("fargate", NS, "deployment", "web")
    rolled: dict[str, Any] = {"observedGeneration": 1, "updatedReplicas": 3, "availableReplicas": 2}
    green.set_status("deployments", NS, "web", rolled)
    assert not cluster.available("fargate", NS, "deployment", "web")
    green.set_status("deployments", NS, "web", {**rolled, "availableReplicas": 3})
    assert cluster.available("fargate", NS, "deployment", "web")
    green.set_status("deployments", NS, "web", {**rolled, "availableReplicas": 3, "observedGeneration": 0})
    assert not cluster.available("fargate", NS, "deployment", "web")
    assert not cluster.available("fargate", NS, "statefulset", "absent")


def test_zero_replicas_is_healthy_once_observed(doubles: Doubles, cluster: KubernetesCluster) -> None:
    green = doubles["fargate"]
    green.put_object(deployment("web", replicas=0))
    green.set_status("deployments", NS, "web", {})
    assert not cluster.available("fargate", NS, "deployment", "web")
    green.set_status("deployments", NS, "web", {"observedGeneration": 1})
    assert cluster.available("fargate", NS, "deployment", "web")


def test_daemonset_health_counts_scheduled_pods(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(daemonset("log-agent"))
    status = {"observedGeneration": 1, "desiredNumberScheduled": 4, "updatedNumberScheduled": 4}
    doubles["eks"].set_status("daemonsets", NS, "log-agent", {**status, "numberAvailable": 3})
    assert not cluster.available("eks", NS, "daemonset", "log-agent")
    doubles["eks"].set_status("daemonsets", NS, "log-agent", {**status, "numberAvailable": 4})
    assert cluster.available("eks", NS, "daemonset", "log-agent")


def test_cronjob_is_healthy_once_it_exists(doubles: Doubles, cluster: KubernetesCluster) -> None:
    assert not cluster.available("fargate", NS, "cronjob", "nightly")
    doubles["fargate"].put_object(cronjob("nightly", suspend=True))
    assert cluster.available("fargate", NS, "cronjob", "nightly")


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "reason", "error_type"),
    [
        (401, "Unauthorized", PermanentError),
        (403, "Forbidden", PermanentError),
        (500, "InternalError", TransientError),
        (409, "Conflict", TransientError),
    ],
)
def test_error_mapping(
    doubles: Doubles, cluster: KubernetesCluster, code: int, reason: str, error_type: type[PlatformError]
) -> None:
    doubles["fargate"].fail_next(code, reason)
    with pytest.raises(PlatformError) as caught:
        cluster.available("fargate", NS, "deployment", "web")
    assert type(caught.value) is error_type and caught.value.kind == f"k8s.{code}"
    assert str(code) in str(caught.value) and "fargate" in str(caught.value)


def test_unknown_environment_is_permanent(cluster: KubernetesCluster) -> None:
    with pytest.raises(PermanentError) as caught:
        cluster.find("gke", NS, "deployment", "web")
    assert caught.value.kind == "k8s.UnknownEnvironment"


def test_unknown_kind_is_permanent(cluster: KubernetesCluster) -> None:
    with pytest.raises(PermanentError) as caught:
        cluster.find("eks", NS, "replicaset", "web")
    assert caught.value.kind == "k8s.BadKind" and "replicaset" in str(caught.value)
