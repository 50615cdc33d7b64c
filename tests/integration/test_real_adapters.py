"""Whole migrations on the dev server through every production adapter at once.

A worker process (`python -m cutover.worker`) reads a platform config naming two Kubernetes
contexts (API server test doubles, see tests/kubernetes/apiserver_double.py), the ALB code on a
moto server and a real Prometheus scraping this test's exporter. The operator drives it with
the `cutover` CLI. Each run ends by reading the resources back through the same APIs.
"""

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.client import Client

from cutover.demo.motoserver import REGION
from cutover.models import MigrationStatus, Outcome, Phase
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.prometheus import PrometheusMetrics, PrometheusQueries
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.workflows.migration import MigrationWorkflow
from tests.aws.conftest import aws, moto_endpoint, moto_server  # noqa: F401 - fixtures used here
from tests.aws.test_alb_router import build_alb
from tests.dev_server_process import DevServer
from tests.integration.conftest import Processes
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import (
    NS,
    configmap,
    cronjob,
    deployment,
    ingress,
    secret,
    service,
    write_kubeconfig,
)
from tests.prometheus.conftest import running_prometheus

BLUE, GREEN = "eks", "eks-fargate"
EXPOSED = ("checkout", "catalog")
SELECTOR = 'env="$env",namespace="$namespace",service="$service"'
QUERIES = PrometheusQueries(
    error_rate=f'sum(rate(http_requests_total{{code="500",{SELECTOR}}}[10s]))'
    f" / sum(rate(http_requests_total{{{SELECTOR}}}[10s]))",
    p99_latency_ms=f"max(request_latency_p99_ms{{{SELECTOR}}})",
    requests=f"sum(increase(http_requests_total{{{SELECTOR}}}[$window]))",
    errors=f'sum(increase(http_requests_total{{code="500",{SELECTOR}}}[$window]))',
)
HEALTHY = {(env, NS, s): (995, 5, 140.0) for env in (BLUE, GREEN) for s in EXPOSED}
TOKEN = "e2e-bearer-token"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_prometheus(tmp_path_factory.mktemp("prometheus-e2e"), HEALTHY) as url:
        metrics = PrometheusMetrics(url, QUERIES)
        deadline = time.monotonic() + 30
        while metrics.sample(GREEN, NS, "catalog")[0] == 0.0:  # rate() needs two scrapes
            assert time.monotonic() < deadline, "prometheus never had two scrapes"
            time.sleep(0.5)
        yield url


def seed_blue(blue: ApiServerDouble) -> None:
    """A shop: two exposed Deployments (LoadBalancer; Ingress), a worker, a nightly CronJob, their config."""
    for obj in (
        configmap("shop-settings", {"CURRENCY": "EUR"}),
        secret("payments-api", {"API_KEY": "c2VjcmV0"}),
        service("checkout-lb", "checkout", "LoadBalancer"),
        service("catalog", "catalog"),
        ingress("shop", "catalog"),
    ):
        blue.put_object(obj)
    for name in ("checkout", "catalog", "email-worker"):
        obj = deployment(name)
        obj["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
            {"configMapRef": {"name": "shop-settings"}},
            {"secretRef": {"name": "payments-api"}},
        ]
        blue.put_object(obj)
    blue.put_object(cronjob("nightly-invoices"))


def seed_green_config(green: ApiServerDouble) -> None:
    """What the platform team provisions in green before a migration: the same config, same values."""
    green.put_object(configmap("shop-settings", {"CURRENCY": "EUR"}))
    green.put_object(secret("payments-api", {"API_KEY": "c2VjcmV0"}))


class CronController(threading.Thread):
    """Plays both clusters' CronJob controllers around the hand-over.

    Blue has a nightly run in progress when the migration starts; once blue's CronJob is suspended
    it finishes that run (a moment later), and once green's CronJob is resumed it runs it once.
    """

    def __init__(self, blue: ApiServerDouble, green: ApiServerDouble):
        super().__init__(daemon=True)
        self.blue, self.green = blue, green
        self.blue_job = blue.run_schedules(running={"nightly-invoices"})[0]
        self.stop = threading.Event()
        self.requests_before_blue_job_finished = -1

    def _suspended(self, double: ApiServerDouble) -> bool | None:
        cron = double.get_object("cronjobs", NS, "nightly-invoices")
        return None if cron is None else bool(cron["spec"].get("suspend"))

    def run(self) -> None:
        while not self.stop.is_set() and self._suspended(self.blue) is not True:
            time.sleep(0.1)
        time.sleep(1.0)  # the activity must wait for this run, not resume green at once
        self.requests_before_blue_job_finished = len(self.blue.journal)
        self.blue.finish_job(NS, self.blue_job)
        while not self.stop.is_set() and self._suspended(self.green) is not False:
            time.sleep(0.1)
        if not self.stop.is_set():
            self.green.run_schedules()


class World:
    """Everything the worker talks to, and the read-backs the assertions use."""

    def __init__(self, tmp_path: Path, aws_client: Any, endpoint: str, prometheus_url: str):
        self.journal: list[tuple[str, str, str]] = []
        self.blue = start_double(BLUE, self.journal).simulate_controllers()
        self.green = start_double(GREEN, self.journal).simulate_controllers()
        doubles = {BLUE: self.blue, GREEN: self.green}
        seed_blue(self.blue)
        seed_green_config(self.green)
        routes = {f"{NS}/{s}": build_alb(aws_client) for s in EXPOSED}
        self.router = AlbRouter(aws_client("elbv2"), routes)
        self.platform = tmp_path / "platform.yaml"
        self.platform.write_text(
            yaml.safe_dump(
                {
                    "cluster": {
                        "kind": "kubernetes",
                        "source_env": BLUE,
                        "contexts": {BLUE: f"ctx-{BLUE}", GREEN: f"ctx-{GREEN}"},
                        "kubeconfig": str(write_kubeconfig(tmp_path / "kubeconfig", doubles, TOKEN)),
                    },
                    "router": {
                        "kind": "alb",
                        "region": REGION,
                        "endpoint_url": endpoint,
                        "routes": {k: r.model_dump() for k, r in routes.items()},
                    },
                    "metrics": {"kind": "prometheus", "url": prometheus_url, "queries": QUERIES.model_dump()},
                }
            )
        )
        self.blue_before = self.workloads(self.blue)

    def workloads(self, double: ApiServerDouble) -> dict[str, Any]:
        """Specs and labels of the workloads, as the API returns them."""
        out = {}
        for plural, name in [("deployments", n) for n in (*EXPOSED, "email-worker")] + [
            ("cronjobs", "nightly-invoices")
        ]:
            obj = double.get_object(plural, NS, name)
            out[f"{plural}/{name}"] = (
                None if obj is None else {"spec": obj["spec"], "labels": obj["metadata"].get("labels")}
            )
        return out

    def weights(self) -> dict[str, int]:
        return {s: self.router.green_percent(NS, s) for s in EXPOSED}

    def stop(self) -> None:
        self.blue.stop()
        self.green.stop()


@pytest.fixture
def world(tmp_path: Path, aws: Any, moto_endpoint: str, prometheus: str) -> Iterator[World]:  # noqa: F811
    w = World(tmp_path, aws, moto_endpoint, prometheus)
    yield w
    w.stop()


def write_plan(path: Path, gates: dict[str, Any]) -> Path:
    plan = {
        "name": "e2e-real-adapters",
        "source": {"name": BLUE, "kind": "kubernetes"},
        "target": {"name": GREEN, "kind": "kubernetes"},
        "services": [
            {"name": "nightly-invoices", "workload": "cronjob/nightly-invoices", "namespace": NS},
            {"name": "email-worker", "workload": "deployment/email-worker", "namespace": NS},
            {"name": "checkout", "workload": "deployment/checkout", "namespace": NS},
            {"name": "catalog", "workload": "deployment/catalog", "namespace": NS},
        ],
        "traffic": {"steps": [10, 50, 100], "bake": "5s"},
        "parallel_operation": {"duration": "2s", "health_check_interval": "1s"},
        # a look's increase() needs two scrapes (1 s apart) in its window
        "monitoring": {"window": "5s"},
        "analysis": {"interval": "5s", "min_requests": 1},
        "rollout": {"timeout": "30s"},
        "cronjobs": {"active_jobs_timeout": "30s", "first_run_timeout": "30s"},
        "gates": gates,
    }
    path.write_text(yaml.safe_dump(plan))
    return path


def start_migration(
    processes: Processes, world: World, workflow_id: str, gates: dict[str, Any]
) -> CronController:
    """The CronJob controllers, a worker on the world's platform config, and `cutover start`."""
    crons = CronController(world.blue, world.green)
    crons.start()
    processes.env.update(
        CUTOVER_PLATFORM_CONFIG=str(world.platform),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    processes.start_worker()
    plan = write_plan(processes.data_dir / "plan.yaml", gates)
    started = processes.cutover("start", str(plan), "--id", workflow_id)
    assert started.returncode == 0, started.stderr
    return crons


async def wait_for(server: DevServer, workflow_id: str, done: Any, seconds: float = 120) -> MigrationStatus:
    client = await Client.connect(server.address, data_converter=DATA_CONVERTER)
    handle = client.get_workflow_handle(workflow_id)
    deadline = time.monotonic() + seconds
    while True:
        status: MigrationStatus = await handle.query(MigrationWorkflow.status)
        if done(status):
            return status
        assert time.monotonic() < deadline, f"timed out at step {status.step!r}: {status.outcome_reason}"
        await asyncio.sleep(0.5)


async def test_full_migration_through_kubernetes_alb_and_prometheus(
    dev_server: DevServer, processes: Processes, world: World
) -> None:
    crons = start_migration(processes, world, "e2e-success", {"require": []})
    status = await wait_for(dev_server, "e2e-success", lambda s: s.phase == Phase.DONE)
    crons.stop.set()
    assert status.outcome == Outcome.SUCCEEDED, status.outcome_reason

    # Traffic: the ALB forwards everything to green, read back from moto.
    assert world.weights() == {"checkout": 100, "catalog": 100}
    # Green: every workload copied with blue's replicas and image, Fargate label, no node placement.
    for name in (*EXPOSED, "email-worker"):
        copy = world.green.get_object("deployments", NS, name)
        assert copy is not None, name
        assert copy["spec"]["replicas"] == 3
        template = copy["spec"]["template"]
        assert template["metadata"]["labels"]["cutover.dev/fargate"] == "true"
        assert "nodeSelector" not in template["spec"] and "tolerations" not in template["spec"]
        assert copy["status"]["availableReplicas"] == 3
    # The schedule runs in green only; blue's in-flight run finished before green was resumed.
    green_cron = world.green.get_object("cronjobs", NS, "nightly-invoices")
    blue_cron = world.blue.get_object("cronjobs", NS, "nightly-invoices")
    assert green_cron is not None and green_cron["spec"]["suspend"] is False
    assert blue_cron is not None and blue_cron["spec"]["suspend"] is True
    cron_patches = [
        i
        for i, (env, method, path) in enumerate(world.journal)
        if env == GREEN and method == "PATCH" and path.endswith("/cronjobs/nightly-invoices")
    ]
    assert crons.requests_before_blue_job_finished > 0, "blue's running Job was never finished"
    assert cron_patches[-1] >= crons.requests_before_blue_job_finished, (
        "green resumed before blue's Job ended"
    )
    # Analyses ran on Prometheus data for both environments.
    analysed = {(a.service, a.weight) for a in status.analyses}
    assert {("checkout", 10), ("catalog", 50), ("checkout", 100)} <= analysed
    assert all(0.004 < a.green_error_rate < 0.006 for a in status.analyses), status.analyses
    # Blue's Deployments are untouched: hot standby.
    after = world.workloads(world.blue)
    for key in ("deployments/checkout", "deployments/catalog", "deployments/email-worker"):
        assert after[key] == world.blue_before[key], key
    # Every request carried the kubeconfig's credentials.
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in world.green.requests)


async def test_rejected_migration_rolls_every_resource_back(
    dev_server: DevServer, processes: Processes, world: World
) -> None:
    gates = {"require": ["traffic-50"], "approvers": ["alice"], "timeout": "1h"}
    crons = start_migration(processes, world, "e2e-rollback", gates)
    await wait_for(dev_server, "e2e-rollback", lambda s: s.open_gate is not None)
    assert world.weights() == {"checkout": 50, "catalog": 50}, "traffic did not move before the gate"
    rejected = processes.cutover(
        "reject", "e2e-rollback", "--gate", "traffic-50", "--as", "alice", "--comment", "p99 looks odd"
    )
    assert rejected.returncode == 0, rejected.stderr
    status = await wait_for(dev_server, "e2e-rollback", lambda s: s.phase == Phase.DONE)
    crons.stop.set()
    assert status.outcome == Outcome.ROLLED_BACK
    assert "alice" in status.outcome_reason

    assert world.weights() == {"checkout": 0, "catalog": 0}
    assert world.workloads(world.green) == {key: None for key in world.blue_before}, "green still has copies"
    assert world.workloads(world.blue) == world.blue_before, "blue is not as the migration found it"
    blue_cron = world.blue.get_object("cronjobs", NS, "nightly-invoices")
    assert blue_cron is not None and blue_cron["spec"].get("suspend") is False
    # The config the platform team provisioned in green is not cutover's to remove.
    assert world.green.get_object("secrets", NS, "payments-api") is not None
