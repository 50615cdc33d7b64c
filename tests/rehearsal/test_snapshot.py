"""`cutover snapshot`: a namespace of a real cluster (the Kubernetes API double, read by the official
client through the worker's platform config) as a local environment; never a secret's value."""

import base64
import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cutover.cli.snapshot_command import snapshot
from cutover.platform.local import LocalEnvironment
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import write_kubeconfig
from tests.rehearsal.test_rehearse_command import rehearse

SECRET_VALUE = "s3cr3t-value-123"
ENCODED = base64.b64encode(SECRET_VALUE.encode()).decode()
READY = {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}


def workload(kind: str, name: str, namespace: str, pod: dict[str, Any], **spec: Any) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": name}}, "spec": pod}
    body: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if kind == "CronJob":
        body = {"jobTemplate": {"spec": {"template": template}}}
    return {
        "apiVersion": "batch/v1" if kind == "CronJob" else "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": {"team": "shop"}},
        "spec": {**body, **spec},
        "status": READY if kind == "Deployment" else {"lastScheduleTime": "2026-12-01T01:00:00Z"},
    }


def container(name: str, **extra: Any) -> dict[str, Any]:
    return {"containers": [{"name": name, "image": f"registry/{name}:1.4", **extra}]}


def shop(double: ApiServerDouble, namespace: str = "shop") -> None:
    env_from = [{"configMapRef": {"name": "settings"}}, {"secretRef": {"name": "payments"}}]
    double.put_object(
        workload("Deployment", "checkout", namespace, container("checkout", envFrom=env_from), replicas=3)
    )
    secret_env = [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "payments", "key": "API_KEY"}}}]
    double.put_object(
        workload("Deployment", "worker", namespace, container("worker", env=secret_env), replicas=3)
    )
    double.put_object(
        workload(
            "CronJob",
            "nightly",
            namespace,
            container("nightly"),
            schedule="0 2 * * *",
            timeZone="Europe/Berlin",
        )
    )
    double.put_object(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "checkout", "namespace": namespace},
            "spec": {"type": "LoadBalancer", "selector": {"app": "checkout"}, "ports": [{"port": 80}]},
        }
    )
    double.put_object(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": namespace},
            "data": {"CURRENCY": "EUR"},
        }
    )
    double.put_object(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "payments", "namespace": namespace},
            "data": {"API_KEY": ENCODED},
        }
    )


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Path, dict[str, ApiServerDouble]]]:
    doubles = {env: start_double(env) for env in ("eks", "fargate")}
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", doubles)
    config = tmp_path / "platform.yaml"
    contexts = {env: f"ctx-{env}" for env in doubles}
    cluster = {"kind": "kubernetes", "source_env": "eks", "contexts": contexts, "kubeconfig": str(kubeconfig)}
    config.write_text(yaml.safe_dump({"cluster": cluster}))
    yield config, doubles
    for double in doubles.values():
        double.stop()


def take(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(snapshot, [*args, "--platform-config", str(config)])
    return result.exit_code, result.output


def test_workloads_exposure_cronjobs_and_digests_never_values(
    tmp_path: Path, platform: tuple[Path, dict[str, ApiServerDouble]]
) -> None:
    config, doubles = platform
    shop(doubles["eks"])
    out = tmp_path / "snap.json"
    code, output = take(config, "--env", "eks", "--namespace", "shop", "--out", str(out))
    assert code == 0, output
    assert f"wrote 5 object(s) of eks/shop to {out}" in output
    text = out.read_text()
    assert SECRET_VALUE not in text and ENCODED not in text and "EUR" not in text
    objects = LocalEnvironment(out).read()["clusters"]["eks"]
    assert objects["shop/deployment/checkout"] == {
        "replicas": 3,
        "image": "registry/checkout:1.4",
        "exposed": True,
        "ready": True,
        "labels": {"team": "shop"},
        "config_refs": ["configmap/settings", "secret/payments"],
    }
    assert objects["shop/deployment/worker"]["exposed"] is False
    assert objects["shop/deployment/worker"]["config_refs"] == ["secret/payments"]
    cron = objects["shop/cronjob/nightly"]
    assert (cron["schedule"], cron["time_zone"], cron["suspended"]) == ("0 2 * * *", "Europe/Berlin", False)
    assert cron["last_schedule"] == "2026-12-01T01:00:00Z"
    assert objects["shop/secret/payments"] == {
        "data": {"API_KEY": hashlib.sha256(ENCODED.encode()).hexdigest()}
    }
    assert objects["shop/configmap/settings"] == {"data": {"CURRENCY": hashlib.sha256(b"EUR").hexdigest()}}


def test_snapshots_add_up_and_a_second_one_replaces_only_its_namespace(
    tmp_path: Path, platform: tuple[Path, dict[str, ApiServerDouble]]
) -> None:
    config, doubles = platform
    shop(doubles["eks"])
    shop(doubles["eks"], "billing")
    shop(doubles["fargate"])
    out = tmp_path / "snap.json"
    for env, namespace in (("eks", "shop"), ("eks", "billing"), ("fargate", "shop"), ("eks", "shop")):
        code, output = take(config, "--env", env, "--namespace", namespace, "--out", str(out))
        assert code == 0, output
    state = LocalEnvironment(out).read()
    assert state["blue"] == "eks"
    assert {k.split("/")[0] for k in state["clusters"]["eks"]} == {"shop", "billing"}
    assert len(state["clusters"]["eks"]) == 10 and len(state["clusters"]["fargate"]) == 5


def test_an_unknown_environment_or_a_local_platform_is_one_line(
    tmp_path: Path, platform: tuple[Path, dict[str, ApiServerDouble]]
) -> None:
    config, _ = platform
    code, output = take(config, "--env", "gke", "--namespace", "shop", "--out", str(tmp_path / "s.json"))
    assert code == 2
    assert (
        output.strip()
        == "error: --env: 'gke' is not in the platform config's cluster.contexts (eks, fargate)"
    )
    local = tmp_path / "local.yaml"
    local.write_text("{}\n")
    code, output = take(local, "--env", "eks", "--namespace", "shop", "--out", str(tmp_path / "s.json"))
    assert code == 2
    assert "cluster.kind must be kubernetes" in output


PLAN = {
    "name": "shop-from-snapshot",
    "source": {"name": "eks", "kind": "kubernetes"},
    "target": {"name": "fargate", "kind": "kubernetes"},
    "services": [
        {"name": "checkout", "workload": "deployment/checkout", "namespace": "shop"},
        {"name": "worker", "workload": "deployment/worker", "namespace": "shop"},
        {"name": "nightly", "workload": "cronjob/nightly", "namespace": "shop"},
    ],
    "traffic": {"steps": [10, 100], "bake": "10m"},
    "parallel_operation": {"duration": "30m", "health_check_interval": "10m"},
    "gates": {"require": ["uat"], "approvers": ["ann"]},
    "analysis": {"min_requests": 100},
    "monitoring": {"window": "30m"},
}


def green_configuration(double: ApiServerDouble, api_key: str) -> None:
    double.put_object(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "shop"},
            "data": {"CURRENCY": "EUR"},
        }
    )
    double.put_object(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "payments", "namespace": "shop"},
            "data": {"API_KEY": api_key},
        }
    )


def rehearse_on(tmp_path: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """Snapshot blue's then green's namespace into one file, and rehearse PLAN on it."""
    out = tmp_path / "snap.json"
    for env in ("eks", "fargate"):
        assert take(config, "--env", env, "--namespace", "shop", "--out", str(out))[0] == 0
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN))
    return rehearse(tmp_path, "--snapshot", str(out), plan=plan)


def test_a_plan_rehearses_on_its_snapshot(
    tmp_path: Path, platform: tuple[Path, dict[str, ApiServerDouble]]
) -> None:
    """Green as snapshotted (its configuration alike, read by name though green runs nothing yet)."""
    config, doubles = platform
    shop(doubles["eks"])
    green_configuration(doubles["fargate"], ENCODED)
    result = rehearse_on(tmp_path, config)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "checkout: deployment/checkout exposed, 3 replicas" in result.stdout
    assert "worker: deployment/worker non-exposed, 3 replicas" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "outcome: succeeded (as asked)"
    assert LocalEnvironment(tmp_path / "snap.json").read()["routes"] == {}  # the snapshot is never changed


def test_a_secret_that_differs_in_green_is_found_by_its_key_alone(
    tmp_path: Path, platform: tuple[Path, dict[str, ApiServerDouble]]
) -> None:
    config, doubles = platform
    shop(doubles["eks"])
    other = base64.b64encode(b"green-has-another-value").decode()
    green_configuration(doubles["fargate"], other)
    result = rehearse_on(tmp_path, config)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("outcome: rolled-back — PlanMismatch: preparation refused the plan: ")
    assert "secret/payments key API_KEY differs in fargate" in last, last
    for value in (SECRET_VALUE, ENCODED, "green-has-another-value", other):
        assert value not in result.stdout + result.stderr
