"""Every request KubernetesCluster makes is allowed by deploy/rbac.yaml (blue: source role, green: target)."""

from datetime import UTC, datetime
from pathlib import Path

import yaml

from cutover.platform.kubernetes.cluster import KubernetesCluster
from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import (
    NS,
    claim,
    configmap,
    cronjob,
    daemonset,
    deployment,
    httproute,
    ingress,
    mounting_claim,
    ref,
    secret,
    service,
    stateful_set,
    storage_class,
    volume,
)

Doubles = dict[str, ApiServerDouble]
VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
RBAC = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def allowed(role: str) -> dict[tuple[str, str], set[str]]:
    """(apiGroup, resource) -> verbs the ClusterRole grants."""
    docs = [d for d in yaml.safe_load_all(RBAC.read_text()) if d and d["metadata"]["name"] == role]
    grants: dict[tuple[str, str], set[str]] = {}
    for rule in docs[0]["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                grants.setdefault((group, resource), set()).update(rule["verbs"])
    return grants


def requested(journal: list[tuple[str, str, str]]) -> set[tuple[str, str, str, str]]:
    """(env, apiGroup, resource, verb) of every request in the shared journal."""
    seen = set()
    for env, method, path in journal:
        parts = path.split("/")
        group = "" if parts[1] == "api" else parts[2]
        # /api/v1/... or /apis/GROUP/VERSION/..., then namespaces/NS for namespaced resources
        start = parts.index("namespaces") + 2 if "namespaces" in parts else (3 if group == "" else 4)
        rest = parts[start:]
        verb = "list" if method == "GET" and len(rest) == 1 else VERBS[method]
        resource = f"{rest[0]}/{rest[2]}" if len(rest) == 3 else rest[0]  # a subresource: cronjobs/status
        seen.add((env, group, resource, verb))
    return seen


def whole_life(doubles: Doubles, cluster: KubernetesCluster) -> None:
    """Preparation, migration, hand-over, cutover and rollback of a Deployment and a CronJob."""
    web = deployment("web")
    web["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"configMapRef": {"name": "web-config"}},
        {"secretRef": {"name": "web-secrets"}},
    ]
    for obj in (web, service("web", "web"), ingress("shop", "web"), httproute("shop", {"name": "web"})):
        doubles["eks"].put_object(obj)
    doubles["eks"].put_object(cronjob("nightly"))
    doubles["eks"].put_object(daemonset("agent"))
    doubles["eks"].put_object(stateful_set("db", None))
    doubles["eks"].put_object(mounting_claim("files", "shared-files"))
    for double in doubles.values():
        double.put_object(storage_class("efs-sc", "efs.csi.aws.com", default=True))
        double.put_object(volume("pv-files", {"csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-1"}}))
        double.put_object(claim("shared-files", "efs-sc", bound_to="pv-files"))
    for double in doubles.values():
        double.put_object(configmap("web-config", {"A": "1"}))
        double.put_object(secret("web-secrets", {"B": "Mg=="}))
    # preparation, in blue
    cluster.discover("eks", NS, "app=web")
    for kind, name in (
        ("deployment", "web"),
        ("cronjob", "nightly"),
        ("daemonset", "agent"),
        ("statefulset", "db"),
        ("deployment", "files"),
    ):
        cluster.find("eks", NS, kind, name)
    cluster.config_problems("eks", "fargate", NS, "deployment", "web")
    # migration, in green (and checks on both sides)
    for kind, name in (("deployment", "web"), ("cronjob", "nightly"), ("statefulset", "db")):
        cluster.apply_copy(ref(kind, name))
        cluster.available("fargate", NS, kind, name)
        cluster.find("fargate", NS, kind, name)
    cluster.discover("fargate", NS, "app=web")
    cluster.set_cron_suspended("eks", NS, "nightly", True)
    cluster.active_cron_jobs("eks", NS, "nightly")
    cluster.set_cron_suspended("fargate", NS, "nightly", False)
    cluster.cron_schedule("fargate", NS, "nightly")
    cluster.start_scheduled_run("fargate", NS, "nightly", datetime(2026, 1, 1, 2, tzinfo=UTC))
    doubles["fargate"].run_schedules()
    cluster.first_run_outcome("fargate", NS, "nightly", "run-1")
    cluster.cron_enabled_in(NS, "nightly")
    # blue idles as hot standby, then the rollback brings it back and removes the copies
    cluster.remove_copy("eks", NS, "deployment", "web", scale_to_zero=True)
    cluster.available("eks", NS, "deployment", "web")
    cluster.set_cron_suspended("fargate", NS, "nightly", True)
    cluster.active_cron_jobs("fargate", NS, "nightly")
    cluster.set_cron_suspended("eks", NS, "nightly", False)
    cluster.cron_schedule("eks", NS, "nightly")
    cluster.start_scheduled_run("eks", NS, "nightly", datetime(2026, 1, 1, 2, tzinfo=UTC))
    cluster.first_run_outcome("eks", NS, "nightly", "run-2")
    for kind, name in (("deployment", "web"), ("cronjob", "nightly")):
        cluster.remove_copy("fargate", NS, kind, name, scale_to_zero=True)
        cluster.remove_copy("fargate", NS, kind, name)


def test_every_call_is_allowed_by_the_deployed_rbac(doubles: Doubles, cluster: KubernetesCluster) -> None:
    whole_life(doubles, cluster)
    roles = {"eks": allowed("cutover-source"), "fargate": allowed("cutover-target")}
    seen = requested(doubles["eks"].journal)
    denied = {s for s in seen if s[3] not in roles[s[0]].get((s[1], s[2]), set())}
    assert not denied
    assert {
        ("eks", "apps", "daemonsets", "list"),
        ("eks", "apps", "deployments", "patch"),
        ("eks", "batch", "cronjobs", "patch"),
        ("eks", "batch", "jobs", "list"),
        ("eks", "batch", "jobs", "create"),
        ("eks", "batch", "cronjobs/status", "patch"),
        ("fargate", "batch", "cronjobs/status", "patch"),
        ("fargate", "batch", "jobs", "create"),
        ("eks", "", "secrets", "get"),
        ("fargate", "", "configmaps", "get"),
        ("fargate", "gateway.networking.k8s.io", "httproutes", "list"),
        ("fargate", "apps", "deployments", "delete"),
        ("eks", "", "persistentvolumeclaims", "get"),
        ("eks", "", "persistentvolumes", "get"),
        ("eks", "storage.k8s.io", "storageclasses", "list"),
        ("fargate", "storage.k8s.io", "storageclasses", "list"),
    } <= seen
