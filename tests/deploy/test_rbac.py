"""The rendered roles allow every request the Kubernetes adapter makes over a migration's whole life,
each where it is made (a Role in the migrated namespace, the cluster-wide read only for what is not in
one), and nothing it never makes. The requests are the real client's, recorded by the API server
double (blue "eks", green "fargate")."""

from datetime import UTC, datetime

from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.gateway_uat_target import GatewayUatTarget
from cutover.platform.kubernetes.cluster import KubernetesCluster
from cutover.platform.kubernetes.uat_routes import GatewayUatRoutes
from tests.deploy.rendered import Obj, one, render
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
Grant = tuple[str, str, str]  # (apiGroup, resource, verb)
Request = tuple[str, str | None, str, str, str]  # (env, namespace or None, apiGroup, resource, verb)
VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
# Who the worker is in each cluster, and where its roles come from.
IDENTITY = {"fargate": ("overlays/aws", "cutover-worker"), "eks": ("blue", "cutover-source")}


def requested(journal: list[tuple[str, str, str]]) -> set[Request]:
    seen = set()
    for env, method, path in journal:
        parts = path.split("/")
        group = "" if parts[1] == "api" else parts[2]
        # /api/v1/... or /apis/GROUP/VERSION/..., then namespaces/NS for namespaced resources
        namespace = parts[parts.index("namespaces") + 1] if "namespaces" in parts else None
        start = parts.index("namespaces") + 2 if namespace else (3 if group == "" else 4)
        rest = parts[start:]
        verb = "list" if method == "GET" and len(rest) == 1 else VERBS[method]
        resource = f"{rest[0]}/{rest[2]}" if len(rest) == 3 else rest[0]  # a subresource: cronjobs/status
        seen.add((env, namespace, group, resource, verb))
    return seen


def grants(role: Obj) -> set[Grant]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def bound(objects: list[Obj], account: str) -> tuple[dict[str, set[Grant]], set[Grant]]:
    """What the ServiceAccount may do: per namespace (its RoleBindings' Roles), and everywhere (its
    ClusterRoleBindings' ClusterRoles)."""
    by_namespace: dict[str, set[Grant]] = {}
    everywhere: set[Grant] = set()
    for binding in objects:
        if binding["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(s["kind"] == "ServiceAccount" and s["name"] == account for s in binding["subjects"]):
            continue
        role = one(objects, binding["roleRef"]["kind"], binding["roleRef"]["name"])
        if binding["kind"] == "ClusterRoleBinding":
            everywhere |= grants(role)
        else:
            namespace = binding["metadata"]["namespace"]
            assert role["metadata"]["namespace"] == namespace
            by_namespace.setdefault(namespace, set()).update(grants(role))
    return by_namespace, everywhere


def whole_life(doubles: Doubles, cluster: KubernetesCluster) -> None:
    """Preparation, migration, hand-over, UAT routes, check Jobs, cutover and rollback of a Deployment,
    a StatefulSet and a CronJob."""
    web = deployment("web")
    web["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"configMapRef": {"name": "web-config"}},
        {"secretRef": {"name": "web-secrets"}},
    ]
    for obj in (web, service("web", "web"), ingress("shop", "web"), httproute("shop", {"name": "web"})):
        doubles["eks"].put_object(obj)
    doubles["eks"].put_object(cronjob("nightly"))
    doubles["eks"].put_object(stateful_set("db", None))
    for double in doubles.values():  # green may run some of the namespace's workloads already
        double.put_object(daemonset("agent"))
        double.put_object(mounting_claim("files", "shared-files"))
        double.put_object(storage_class("efs-sc", "efs.csi.aws.com", default=True))
        double.put_object(volume("pv-files", {"csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-1"}}))
        double.put_object(claim("shared-files", "efs-sc", bound_to="pv-files"))
        double.put_object(configmap("web-config", {"A": "1"}))
        double.put_object(secret("web-secrets", {"B": "Mg=="}))
        double.put_object(httproute("shop", {"name": "web"}))
        double.put_object(cronjob("smoke"))
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
    cluster.find("fargate", NS, "daemonset", "agent")
    cluster.find("fargate", NS, "deployment", "files")
    for env, double in doubles.items():  # a check Job in each cluster, its pod's log, and its removal
        cluster.start_check_job(env, NS, "check-1", "cronjob/smoke", None, {"check": "smoke"})
        double.add_job_pod(NS, "check-1", "smoke passed\n")
        cluster.check_job_state(env, NS, "check-1")
        cluster.delete_check_job(env, NS, "check-1")
        # the testers' route on the cluster whose Gateway serves the public (uat.env: either)
        target = GatewayUatTarget(httproute="shop", namespace=NS, green_service="web-green", port=80)
        routes = GatewayUatRoutes(cluster.clients[env], {f"{NS}/web": target}, env=env)
        routes.open_uat_route(
            UatRoute(namespace=NS, service="web", match=UatMatch(header="X-Uat", value="1"))
        )
        routes.close_uat_route(NS, "web")
    cluster.set_cron_suspended("eks", NS, "nightly", True)
    cluster.active_cron_jobs("eks", NS, "nightly")
    cluster.set_cron_suspended("fargate", NS, "nightly", False)
    cluster.cron_schedule("fargate", NS, "nightly")
    cluster.start_scheduled_run("fargate", NS, "nightly", datetime(2026, 1, 1, 2, tzinfo=UTC))
    doubles["fargate"].run_schedules()
    cluster.first_run_outcome("fargate", NS, "nightly", "run-1")
    cluster.cron_enabled_in(NS, "nightly")
    # blue idles as hot standby, then the rollback brings it back and removes the copies
    for kind, name in (("deployment", "web"), ("statefulset", "db")):
        cluster.remove_copy("eks", NS, kind, name, scale_to_zero=True)
        cluster.available("eks", NS, kind, name)
    cluster.set_cron_suspended("fargate", NS, "nightly", True)
    cluster.active_cron_jobs("fargate", NS, "nightly")
    cluster.set_cron_suspended("eks", NS, "nightly", False)
    cluster.cron_schedule("eks", NS, "nightly")
    cluster.start_scheduled_run("eks", NS, "nightly", datetime(2026, 1, 1, 2, tzinfo=UTC))
    cluster.first_run_outcome("eks", NS, "nightly", "run-2")
    for kind, name in (("deployment", "web"), ("cronjob", "nightly"), ("statefulset", "db")):
        cluster.remove_copy("fargate", NS, kind, name, scale_to_zero=kind != "cronjob")
        cluster.remove_copy("fargate", NS, kind, name)


def test_every_request_is_allowed_where_it_is_made_and_every_grant_is_used(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    whole_life(doubles, cluster)
    seen = requested(doubles["eks"].journal)
    for env, (folder, account) in IDENTITY.items():
        by_namespace, everywhere = bound(render(folder), account)
        assert set(by_namespace) == {NS}, "one Role per migrated namespace (the example: shop)"
        made = {r for r in seen if r[0] == env}
        denied = {
            r for r in made if r[2:] not in everywhere and (r[1] is None or r[2:] not in by_namespace[r[1]])
        }
        assert not denied, f"{env}: {sorted(denied, key=str)}"
        unused = (by_namespace[NS] | everywhere) - {r[2:] for r in made}
        assert not unused, f"{env} grants what the adapter never asks: {sorted(unused)}"


def test_only_reads_of_what_no_namespace_holds_are_cluster_wide() -> None:
    cluster_wide = {
        ("", "persistentvolumes", "get"),
        ("storage.k8s.io", "storageclasses", "list"),
        ("gateway.networking.k8s.io", "httproutes", "list"),
    }
    for folder, account in IDENTITY.values():
        objects = render(folder)
        assert bound(objects, account)[1] == cluster_wide
        assert [o["metadata"]["name"] for o in objects if o["kind"] == "ClusterRole"] == [
            "cutover-cluster-read"
        ]


def test_blue_is_never_written_to_but_for_replicas_suspend_and_check_jobs() -> None:
    source = bound(render("blue"), "cutover-source")[0][NS]
    target = bound(render("overlays/aws"), "cutover-worker")[0][NS]
    assert source < target
    written = {(g, r) for g, r, v in source if v in ("create", "update", "patch", "delete")}
    assert written == {
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("batch", "cronjobs"),
        ("batch", "cronjobs/status"),
        ("batch", "jobs"),
        ("gateway.networking.k8s.io", "httproutes"),
    }
    assert {v for g, r, v in source if r in ("deployments", "statefulsets", "cronjobs")} == {
        "get",
        "list",
        "patch",
    }
    assert {("apps", "deployments", "delete"), ("batch", "cronjobs", "delete")} <= target
