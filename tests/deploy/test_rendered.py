"""The worker as deploy/base and deploy/overlays/aws render it, checked against the code it runs: the
ports it serves, the environment it reads, the platform config it loads, the version it is."""

import ast
import ipaddress
import re
from pathlib import Path

import httpx
import pytest
import temporalio

from cutover.health import Readiness, serve_health
from cutover.platform.wiring import load_platform_config
from cutover.worker import DEFAULT_SHUTDOWN_GRACE
from tests.deploy.rendered import DEPLOY, ROOT, Obj, one, package_version, render

WORKER = ["base", "overlays/aws"]
ENV_NAME = re.compile(r"(CUTOVER|TEMPORAL|OTEL|AWS)_[A-Z0-9_]+")
# Where temporalio.envconfig reads its variables (the SDK's Rust core, shipped with its source).
ENVCONFIG_SOURCE = Path(temporalio.__file__).parent / "bridge/sdk-core/crates/common/src/envconfig.rs"
IMDS = ipaddress.ip_network("169.254.169.254/32")


def pod(objects: list[Obj]) -> Obj:
    spec: Obj = one(objects, "Deployment", "cutover-worker")["spec"]["template"]
    return spec


def container(objects: list[Obj]) -> Obj:
    containers = pod(objects)["spec"]["containers"]
    assert [c["name"] for c in containers] == ["worker"]
    found: Obj = containers[0]
    return found


def environment(objects: list[Obj]) -> dict[str, str]:
    """What the worker's process finds in its environment: the ConfigMaps of envFrom, then env."""
    worker = container(objects)
    values: dict[str, str] = {}
    for source in worker.get("envFrom", []):
        values.update(one(objects, "ConfigMap", source["configMapRef"]["name"])["data"])
    values.update({e["name"]: e.get("value", "<from a secret>") for e in worker.get("env", [])})
    return values


def ports(objects: list[Obj]) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container(objects)["ports"]}


def names_the_code_reads() -> set[str]:
    """Every string constant of the code that is a whole variable name (os.environ[...], getenv(...),
    the names settings pass around), and temporalio.envconfig's names once the code uses it."""
    names: set[str] = set()
    uses_envconfig = False
    for file in [ROOT / "worker.py", *(ROOT / "cutover").rglob("*.py")]:
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ENV_NAME.fullmatch(node.value)
            ):
                names.add(node.value)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("temporalio.envconfig"):
                uses_envconfig = True
            if isinstance(node, ast.Import) and any(a.name == "temporalio.envconfig" for a in node.names):
                uses_envconfig = True
    if uses_envconfig:
        names |= set(re.findall(r"\"(TEMPORAL_[A-Z0-9_]+)\"", ENVCONFIG_SOURCE.read_text()))
    return names


@pytest.mark.parametrize("folder", WORKER)
def test_the_image_tag_is_the_package_version(folder: str) -> None:
    image = container(render(folder))["image"]
    assert image.rsplit(":", 1)[1] == package_version() == "0.7.0"
    assert image.rsplit(":", 1)[0].endswith("/cutover") or image.startswith("cutover:")


def test_every_image_tag_named_in_deploy_is_the_package_version() -> None:
    """One version scheme: comments and commands in deploy/ name the image by the package version."""
    named = {
        (file.name, tag)
        for file in DEPLOY.rglob("*")
        if file.is_file() and file.suffix in ("", ".yaml", ".md") or file.name == "Dockerfile"
        for tag in re.findall(r"/cutover:([\w.-]+)", file.read_text())
    }
    assert named and {tag for _, tag in named} == {package_version()}, named


@pytest.mark.parametrize("folder", WORKER)
def test_every_variable_the_manifests_set_is_one_the_code_reads(folder: str) -> None:
    objects = render(folder)
    read = names_the_code_reads()
    assert {"CUTOVER_METRICS_PORT", "TEMPORAL_ADDRESS", "CUTOVER_PLATFORM_CONFIG"} <= read
    assert set(environment(objects)) - read == set()


@pytest.mark.parametrize("folder", WORKER)
def test_the_ports_are_the_ones_the_worker_is_told_to_serve(folder: str) -> None:
    objects = render(folder)
    env, served = environment(objects), ports(objects)
    assert served == {"health": int(env["CUTOVER_HEALTH_PORT"]), "metrics": int(env["CUTOVER_METRICS_PORT"])}
    worker = container(objects)
    assert worker["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "health"}
    assert worker["startupProbe"]["httpGet"] == {"path": "/livez", "port": "health"}
    assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    annotations = pod(objects)["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == served["metrics"]
    assert annotations["prometheus.io/path"] == "/metrics"
    service = one(objects, "Service", "cutover-worker")
    assert [(p["name"], p["targetPort"]) for p in service["spec"]["ports"]] == [("metrics", "metrics")]
    assert service["spec"]["selector"].items() <= pod(objects)["metadata"]["labels"].items()
    exposed = re.search(r"^EXPOSE (.+)$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert exposed and sorted(map(int, exposed[1].split())) == sorted(served.values())


def test_the_aws_overlay_scrapes_the_metrics_port_through_a_service_monitor() -> None:
    objects = render("overlays/aws")
    monitor = one(objects, "ServiceMonitor", "cutover-worker")
    service = one(objects, "Service", "cutover-worker")
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [service["metadata"]["namespace"]]


@pytest.mark.parametrize("folder", WORKER)
def test_the_platform_config_in_the_config_map_loads(folder: str, tmp_path: Path) -> None:
    objects = render(folder)
    env, spec = environment(objects), pod(objects)["spec"]
    mounts = {m["name"]: m for m in container(objects)["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    path = Path(env["CUTOVER_PLATFORM_CONFIG"])
    (name,) = [n for n, m in mounts.items() if Path(m["mountPath"]) == path.parent]
    data = one(objects, "ConfigMap", volumes[name]["configMap"]["name"])["data"]
    (tmp_path / path.name).write_text(data[path.name])
    config = load_platform_config(tmp_path / path.name)
    assert config.cluster.kind == "kubernetes"
    assert "in-cluster" in config.cluster.contexts.values()
    kubeconfig = Path(config.cluster.kubeconfig or "")
    assert volumes["kubeconfig"]["secret"]["secretName"] == "cutover-kubeconfig"
    assert kubeconfig.parent == Path(mounts["kubeconfig"]["mountPath"])
    if folder == "overlays/aws":  # reviews and journals outlive the pod: in S3, not on its disk
        assert config.reviews is not None and config.reviews.bucket
        assert config.router.kind == "alb" and config.metrics.kind == "cloudwatch"


@pytest.mark.parametrize("folder", WORKER)
def test_the_grace_period_outlasts_the_workers_own(folder: str) -> None:
    objects = render(folder)
    assert "CUTOVER_SHUTDOWN_GRACE" in names_the_code_reads()
    set_here = environment(objects).get("CUTOVER_SHUTDOWN_GRACE")
    seconds = DEFAULT_SHUTDOWN_GRACE.total_seconds() if set_here is None else float(set_here)
    assert pod(objects)["spec"]["terminationGracePeriodSeconds"] >= seconds + 10


@pytest.mark.parametrize("folder", WORKER)
def test_the_pod_runs_restricted_with_a_read_only_root(folder: str) -> None:
    objects = render(folder)
    spec, worker = pod(objects)["spec"], container(objects)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] >= 10000
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = worker["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    volumes = {v["name"]: v for v in spec["volumes"]}
    writable = {m["mountPath"] for m in worker["volumeMounts"] if not m.get("readOnly")}
    assert writable == {"/tmp", environment(objects)["CUTOVER_DATA_DIR"]}
    for mount in worker["volumeMounts"]:
        volume = volumes[mount["name"]]
        assert "emptyDir" in volume if not mount.get("readOnly") else "emptyDir" not in volume
        if "emptyDir" in volume:
            assert volume["emptyDir"]["sizeLimit"]
    assert worker["resources"]["limits"]["memory"] and worker["resources"]["requests"]["cpu"]


@pytest.mark.parametrize("folder", WORKER)
def test_a_disruption_takes_one_worker_at_a_time_and_workers_spread(folder: str) -> None:
    objects = render(folder)
    deployment = one(objects, "Deployment", "cutover-worker")
    labels = pod(objects)["metadata"]["labels"]
    budget = one(objects, "PodDisruptionBudget", "cutover-worker")["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert 1 <= budget["minAvailable"] < deployment["spec"]["replicas"]
    spread = pod(objects)["spec"]["topologySpreadConstraints"]
    assert {s["topologyKey"] for s in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert all(s["labelSelector"]["matchLabels"].items() <= labels.items() for s in spread)
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("folder", WORKER)
def test_the_network_policy_lets_in_probes_and_scrapes_and_out_what_the_worker_calls(folder: str) -> None:
    objects = render(folder)
    labels = pod(objects)["metadata"]["labels"]
    policies = [p["spec"] for p in objects if p["kind"] == "NetworkPolicy"]
    assert all(p["podSelector"]["matchLabels"].items() <= labels.items() for p in policies)
    main = one(objects, "NetworkPolicy", "cutover-worker")["spec"]
    assert main["policyTypes"] == ["Ingress", "Egress"]
    assert [{p["port"] for p in rule["ports"]} for rule in main["ingress"]] == [set(ports(objects))]
    assert all("from" not in rule for rule in main["ingress"])  # kubelet probes come from the node
    egress = [
        (peer, port)
        for p in policies
        for rule in p.get("egress", [])
        for peer in rule["to"]
        for port in rule["ports"]
    ]
    allowed = {(port["port"], port["protocol"]) for _, port in egress}
    temporal_port = int(environment(objects)["TEMPORAL_ADDRESS"].rsplit(":", 1)[1])
    assert {(53, "UDP"), (53, "TCP"), (temporal_port, "TCP"), (443, "TCP")} <= allowed
    for peer, _ in egress:
        if "ipBlock" in peer:
            assert [ipaddress.ip_network(c) for c in peer["ipBlock"]["except"]] == [IMDS]
    if folder == "overlays/aws":  # the AWS APIs, STS among them for IRSA
        aws = one(objects, "NetworkPolicy", "cutover-worker-aws")["spec"]
        assert aws["policyTypes"] == ["Egress"] and aws["egress"][0]["ports"] == [
            {"port": 443, "protocol": "TCP"}
        ]


def test_the_aws_overlay_gives_the_worker_its_iam_role() -> None:
    objects = render("overlays/aws")
    account = one(objects, "ServiceAccount", "cutover-worker")
    assert pod(objects)["spec"]["serviceAccountName"] == "cutover-worker"
    assert re.fullmatch(
        r"arn:aws:iam::\d{12}:role/.+", account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    )


def test_the_alert_rules_watch_the_job_the_service_monitor_scrapes() -> None:
    """The Prometheus Operator names a ServiceMonitor's job after the Service; deploy/alerts' rules
    look for the workers under that job."""
    service = one(render("overlays/aws"), "Service", "cutover-worker")
    jobs = {
        job
        for file in (DEPLOY / "alerts").glob("*rules.yaml")
        for job in re.findall(r'job="([^"]+)"', file.read_text())
    }
    assert jobs == {service["metadata"]["name"]}


async def test_the_probes_ask_paths_the_workers_health_endpoint_answers() -> None:
    """The worker's own health server (cutover.health), on loopback: liveness answers at once,
    readiness only once the worker polls."""
    worker = container(render("overlays/aws"))
    readiness = Readiness()
    runner = await serve_health(readiness, 0, host="127.0.0.1")
    try:
        host, port = runner.addresses[0][:2]
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30) as client:

            async def status(probe: str) -> int:
                return (await client.get(worker[probe]["httpGet"]["path"])).status_code

            assert [await status(p) for p in ("startupProbe", "livenessProbe", "readinessProbe")] == [
                200,
                200,
                503,
            ]
            readiness.set_ready()
            assert await status("readinessProbe") == 200
    finally:
        await runner.cleanup()
