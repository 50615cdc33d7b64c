"""KubernetesCluster over real HTTP through the official client, against two API server doubles."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.exceptions import ApplicationError

from cutover.models import CronHandover, ServiceRef
from cutover.platform.kubernetes_cluster import FARGATE_LABEL, KubernetesCluster
from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import NS, cronjob, deployment, ingress, service

Doubles = dict[str, ApiServerDouble]


def ref(kind: str, name: str, env: str = "fargate") -> ServiceRef:
    """A ref as the workflow builds it: with the replicas and image recorded in blue."""
    replicas = 1 if kind == "cronjob" else 3
    return ServiceRef(
        env=env,
        service=name,
        namespace=NS,
        kind=kind,
        name=name,
        replicas=replicas,
        image="registry/shop:1.0",
    )


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
    assert ("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/web") in doubles["fargate"].requests


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


def test_copy_of_missing_workload_is_non_retryable(cluster: KubernetesCluster) -> None:
    with pytest.raises(ApplicationError) as caught:
        cluster.apply_copy(ref("deployment", "ghost"))
    assert caught.value.non_retryable
    assert "deployment/shop/ghost" in str(caught.value) and "eks" in str(caught.value)


def test_remove_is_idempotent(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["fargate"].put_object(deployment("web"))
    cluster.remove_copy("fargate", NS, "deployment", "web")
    cluster.remove_copy("fargate", NS, "deployment", "web")
    assert doubles["fargate"].get_object("deployments", NS, "web") is None


def test_clients_from_kubeconfig_contexts(doubles: Doubles, tmp_path: Path) -> None:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": env, "cluster": {"server": d.url}} for env, d in doubles.items()],
        "users": [{"name": "ci", "user": {"token": "t"}}],
        "contexts": [{"name": f"ctx-{env}", "context": {"cluster": env, "user": "ci"}} for env in doubles],
        "current-context": "ctx-eks",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    contexts = {env: f"ctx-{env}" for env in doubles}
    cluster = KubernetesCluster.from_kubeconfig(contexts, source_env="eks", config_file=str(path))
    doubles["fargate"].put_object(deployment("web"))
    assert cluster.environments() == ["eks", "fargate"]
    assert cluster.find("fargate", NS, "deployment", "web") is not None
    assert cluster.find("eks", NS, "deployment", "web") is None


# --- health ----------------------------------------------------------------------------------
def test_health_follows_rollout_status(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(deployment("web", replicas=3))
    cluster.apply_copy(ref("deployment", "web"))
    green = doubles["fargate"]
    assert not cluster.healthy("fargate", NS, "deployment", "web")
    rolled: dict[str, Any] = {"observedGeneration": 1, "updatedReplicas": 3, "availableReplicas": 2}
    green.set_status("deployments", NS, "web", rolled)
    assert not cluster.healthy("fargate", NS, "deployment", "web")
    green.set_status("deployments", NS, "web", {**rolled, "availableReplicas": 3})
    assert cluster.healthy("fargate", NS, "deployment", "web")
    green.set_status("deployments", NS, "web", {**rolled, "availableReplicas": 3, "observedGeneration": 0})
    assert not cluster.healthy("fargate", NS, "deployment", "web")
    assert not cluster.healthy("fargate", NS, "statefulset", "absent")


def test_cronjob_is_healthy_once_it_exists(doubles: Doubles, cluster: KubernetesCluster) -> None:
    assert not cluster.healthy("fargate", NS, "cronjob", "nightly")
    doubles["fargate"].put_object(cronjob("nightly", suspend=True))
    assert cluster.healthy("fargate", NS, "cronjob", "nightly")


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "reason", "non_retryable"),
    [
        (401, "Unauthorized", True),
        (403, "Forbidden", True),
        (500, "InternalError", False),
        (409, "Conflict", False),
    ],
)
def test_error_mapping(
    doubles: Doubles, cluster: KubernetesCluster, code: int, reason: str, non_retryable: bool
) -> None:
    doubles["fargate"].fail_next(code, reason)
    with pytest.raises(ApplicationError) as caught:
        cluster.healthy("fargate", NS, "deployment", "web")
    assert caught.value.non_retryable is non_retryable
    assert str(code) in str(caught.value) and "fargate" in str(caught.value)


def test_unknown_environment_is_non_retryable(cluster: KubernetesCluster) -> None:
    with pytest.raises(ApplicationError) as caught:
        cluster.find("gke", NS, "deployment", "web")
    assert caught.value.non_retryable


# --- cron hand-over and runs -----------------------------------------------------------------
def handover(enable_in: str, disable_in: str) -> CronHandover:
    return CronHandover(
        service="nightly", namespace=NS, name="nightly", enable_in=enable_in, disable_in=disable_in
    )


def test_hand_over_keeps_exactly_one_enabled(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    cluster.apply_copy(ref("cronjob", "nightly"))
    assert cluster.cron_enabled_in(NS, "nightly") == ["eks"]
    cluster.hand_over_cron(handover("fargate", "eks"))
    assert cluster.cron_enabled_in(NS, "nightly") == ["fargate"]
    cluster.hand_over_cron(handover("fargate", "eks"))  # a retried activity changes nothing
    assert cluster.cron_enabled_in(NS, "nightly") == ["fargate"]
    cluster.hand_over_cron(handover("eks", "fargate"))  # the rollback
    assert cluster.cron_enabled_in(NS, "nightly") == ["eks"]


def test_copy_again_after_hand_over_keeps_green_enabled(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    cluster.apply_copy(ref("cronjob", "nightly"))
    cluster.hand_over_cron(handover("fargate", "eks"))
    cluster.apply_copy(ref("cronjob", "nightly"))  # a retried or replayed deploy activity
    assert cluster.cron_enabled_in(NS, "nightly") == ["fargate"]


def test_hand_over_suspends_before_it_resumes(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    doubles["fargate"].put_object(cronjob("nightly", suspend=True))
    cluster.hand_over_cron(handover("fargate", "eks"))
    patches = [(env, path) for env, method, path in doubles["eks"].journal if method == "PATCH"]
    path = f"/apis/batch/v1/namespaces/{NS}/cronjobs/nightly"
    assert patches == [("eks", path), ("fargate", path)]  # suspend blue before resuming green
    assert cluster.cron_enabled_in(NS, "nightly") == ["fargate"]


def test_hand_over_to_a_cluster_without_the_cronjob_is_non_retryable(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    with pytest.raises(ApplicationError) as caught:
        cluster.hand_over_cron(handover("fargate", "eks"))
    assert caught.value.non_retryable and "fargate" in str(caught.value)
    assert cluster.cron_enabled_in(NS, "nightly") == ["eks"]


def job(
    name: str, created: str, status: dict[str, Any], owner: str = "nightly", uid: str = "u"
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": created,
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": owner, "uid": uid}],
        },
        "spec": {"template": {"spec": {"containers": []}}},
        "status": status,
    }


def test_run_cron_reads_the_newest_owned_job(doubles: Doubles, cluster: KubernetesCluster) -> None:
    green = doubles["fargate"]
    with pytest.raises(ApplicationError) as caught:
        cluster.run_cron("fargate", NS, "nightly", "run-1")
    assert not caught.value.non_retryable
    green.put_object(job("other-1", "2026-01-03T00:00:00Z", {"failed": 1}, owner="other"))
    green.put_object(job("nightly-1", "2026-01-01T00:00:00Z", {"failed": 1}))
    green.put_object(job("nightly-2", "2026-01-02T00:00:00Z", {"succeeded": 1}))
    assert cluster.run_cron("fargate", NS, "nightly", "run-1") is True
    green.put_object(job("nightly-3", "2026-01-03T00:00:00Z", {"failed": 1}))
    assert cluster.run_cron("fargate", NS, "nightly", "run-2") is False
    green.put_object(job("nightly-4", "2026-01-04T00:00:00Z", {"active": 1}))
    with pytest.raises(ApplicationError) as running:
        cluster.run_cron("fargate", NS, "nightly", "run-3")
    assert not running.value.non_retryable


def test_run_cron_ignores_jobs_of_an_earlier_cronjob_of_the_same_name(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    green = doubles["fargate"]
    current = green.put_object(cronjob("nightly"))
    green.put_object(job("nightly-old", "2026-01-05T00:00:00Z", {"failed": 1}, uid="an-earlier-copy"))
    with pytest.raises(ApplicationError):
        cluster.run_cron("fargate", NS, "nightly", "run-1")
    green.put_object(
        job("nightly-1", "2026-01-01T00:00:00Z", {"succeeded": 1}, uid=current["metadata"]["uid"])
    )
    assert cluster.run_cron("fargate", NS, "nightly", "run-1") is True


# --- RBAC ------------------------------------------------------------------------------------
VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _allowed(role: str) -> dict[tuple[str, str], set[str]]:
    rbac = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"
    docs = [d for d in yaml.safe_load_all(rbac.read_text()) if d and d["metadata"]["name"] == role]
    allowed: dict[tuple[str, str], set[str]] = {}
    for rule in docs[0]["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                allowed.setdefault((group, resource), set()).update(rule["verbs"])
    return allowed


def test_every_call_is_allowed_by_the_deployed_rbac(doubles: Doubles, cluster: KubernetesCluster) -> None:
    """A whole service's life (forward and rollback) issues only requests deploy/rbac.yaml permits."""
    for obj in (
        deployment("web"),
        service("web", "web", "LoadBalancer"),
        ingress("shop", "web"),
        cronjob("nightly"),
    ):
        doubles["eks"].put_object(obj)
    for kind, name in (("deployment", "web"), ("cronjob", "nightly")):
        cluster.find("eks", NS, kind, name)
        cluster.apply_copy(ref(kind, name))
        cluster.healthy("fargate", NS, kind, name)
    cluster.hand_over_cron(handover("fargate", "eks"))
    copied = doubles["fargate"].get_object("cronjobs", NS, "nightly")
    assert copied is not None
    uid = copied["metadata"]["uid"]
    doubles["fargate"].put_object(job("nightly-1", "2026-01-01T00:00:00Z", {"succeeded": 1}, uid=uid))
    assert cluster.run_cron("fargate", NS, "nightly", "run-1")
    cluster.hand_over_cron(handover("eks", "fargate"))
    for kind, name in (("deployment", "web"), ("cronjob", "nightly")):
        cluster.remove_copy("fargate", NS, kind, name)
    roles = {"eks": _allowed("cutover-source"), "fargate": _allowed("cutover-target")}
    seen = set()
    for env, method, path in doubles["eks"].journal:
        parts = path.split("/")
        group = "" if parts[1] == "api" else parts[2]
        rest = parts[parts.index("namespaces") + 2 :]
        verb = "list" if method == "GET" and len(rest) == 1 else VERBS[method]
        seen.add((env, group, rest[0], verb))
    denied = {s for s in seen if s[3] not in roles[s[0]].get((s[1], s[2]), set())}
    assert not denied
    assert ("fargate", "apps", "deployments", "patch") in seen and (
        "eks",
        "batch",
        "cronjobs",
        "patch",
    ) in seen
