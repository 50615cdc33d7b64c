"""`cutover start` checks a Kubernetes plan against the clusters the worker would use, before starting."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cutover.cli.main import cli
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import NS, daemonset, deployment, secret, write_kubeconfig

SECRET_B64 = "dG9wLXNlY3JldA=="  # must never be printed


@pytest.fixture
def doubles() -> Iterator[dict[str, ApiServerDouble]]:
    servers = {env: start_double(env) for env in ("eks", "eks-fargate")}
    yield servers
    for double in servers.values():
        double.stop()


@pytest.fixture
def platform(tmp_path: Path, doubles: dict[str, ApiServerDouble]) -> Path:
    """Blue runs web (using secret db) and a DaemonSet; green's db secret holds another password."""
    blue = doubles["eks"]
    web = deployment("web")
    web["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "db"}}]
    for obj in (web, daemonset("log-shipper"), secret("db", {"PASSWORD": SECRET_B64})):
        blue.put_object(obj)
    doubles["eks-fargate"].put_object(secret("db", {"PASSWORD": "b3RoZXI="}))
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", doubles)
    config = tmp_path / "platform.yaml"
    contexts = {env: f"ctx-{env}" for env in doubles}
    cluster = {"kind": "kubernetes", "source_env": "eks", "contexts": contexts, "kubeconfig": str(kubeconfig)}
    config.write_text(yaml.safe_dump({"cluster": cluster}))
    return config


def plan_file(tmp_path: Path, services: list[dict[str, str]]) -> Path:
    path = tmp_path / "plan.yaml"
    plan = {
        "name": "web-to-fargate",
        "source": {"name": "eks", "kind": "kubernetes"},
        "target": {"name": "eks-fargate", "kind": "kubernetes"},
        "services": services,
        "gates": {"require": []},
    }
    path.write_text(yaml.safe_dump(plan))
    return path


def test_start_lists_every_problem_and_starts_nothing(platform: Path, tmp_path: Path) -> None:
    plan = plan_file(
        tmp_path,
        [
            {"name": "web", "workload": "deployment/web", "namespace": NS},
            {"name": "log-shipper", "workload": "daemonset/log-shipper", "namespace": NS},
            {"name": "api", "workload": "deployment/api", "namespace": NS},
        ],
    )
    # No Temporal server is running: a plan that passed the check would fail to connect (exit 1).
    result = CliRunner().invoke(cli, ["start", str(plan), "--platform-config", str(platform)])
    assert result.exit_code == 2, result.output
    assert "the plan does not fit the clusters (3 problem(s))" in result.output
    assert "web: secret/shop/db key PASSWORD differs" in result.output
    assert (
        "log-shipper: eks-fargate cannot run daemonset/log-shipper: Fargate runs no DaemonSets"
        in result.output
    )
    assert "services: unknown service 'api'" in result.output
    assert SECRET_B64 not in result.output and "top-secret" not in result.output


def test_a_plan_that_fits_goes_on_to_temporal(
    platform: Path, tmp_path: Path, doubles: dict[str, ApiServerDouble]
) -> None:
    doubles["eks-fargate"].put_object(secret("db", {"PASSWORD": SECRET_B64}))
    plan = plan_file(tmp_path, [{"name": "web", "workload": "deployment/web", "namespace": NS}])
    args = ["start", str(plan), "--platform-config", str(platform), "--address", "127.0.0.1:1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "127.0.0.1:1" in result.output, "the checked plan did not go on to start on Temporal"
