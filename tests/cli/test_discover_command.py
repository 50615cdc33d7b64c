"""`cutover discover` on the local environment: a usable services block, refusals, clear errors."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cutover.cli.main import cli
from cutover.demo.seed import BLUE, GREEN, seed
from cutover.plan.model import parse_plan


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CUTOVER_LOCAL_STATE", str(tmp_path / "local-env.json"))
    monkeypatch.delenv("CUTOVER_PLATFORM_CONFIG", raising=False)
    return CliRunner()


def test_prints_a_services_block_a_plan_accepts(runner: CliRunner, tmp_path: Path) -> None:
    seed(tmp_path / "local-env.json")
    result = runner.invoke(cli, ["discover", "--env", BLUE, "--namespace", "shop"])
    assert result.exit_code == 0, result.output
    services = yaml.safe_load(result.output)["services"]
    assert [s["workload"] for s in services] == [
        "deployment/catalog",
        "deployment/checkout",
        "deployment/email-worker",
    ]
    assert "# now: exposed" in result.output and "# now: non-exposed" in result.output
    assert "# refused: daemonset/log-shipper: Fargate runs no DaemonSets" in result.output
    plan = parse_plan(
        {
            "name": "shop",
            "source": {"name": BLUE},
            "target": {"name": GREEN},
            "services": services,
            "gates": {"approvers": ["alice"]},
        }
    )
    assert len(plan.services) == 3


def test_selector_filters_by_label(runner: CliRunner, tmp_path: Path) -> None:
    seed(tmp_path / "local-env.json")
    args = ["discover", "--env", BLUE, "--namespace", "billing", "--selector"]
    result = runner.invoke(cli, [*args, "app.kubernetes.io/part-of=shop"])
    assert result.exit_code == 0, result.output
    assert "# 0 workload(s) in eks/billing matching app.kubernetes.io/part-of=shop" in result.output
    result = runner.invoke(cli, [*args, "app.kubernetes.io/part-of=billing"])
    assert "cronjob/nightly-invoices" in result.output and "cronjob/ledger-export" in result.output


def test_malformed_selector_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    seed(tmp_path / "local-env.json")
    result = runner.invoke(
        cli, ["discover", "--env", BLUE, "--namespace", "shop", "--selector", "app,tier=web"]
    )
    assert result.exit_code == 2
    assert "--selector: app is not key=value" in result.output


def test_unknown_environment_names_the_option(runner: CliRunner, tmp_path: Path) -> None:
    seed(tmp_path / "local-env.json")
    result = runner.invoke(cli, ["discover", "--env", "aks", "--namespace", "shop"])
    assert result.exit_code == 2
    assert "--env: environment 'aks' not found" in result.output


def test_without_any_environment_says_what_to_do(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["discover", "--env", BLUE, "--namespace", "shop"])
    assert result.exit_code == 2
    assert "--platform-config" in result.output and "CUTOVER_LOCAL_STATE" in result.output


def test_bad_platform_config_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "platform.yaml"
    config.write_text("cluster: {kind: nomad}\n")
    args = ["discover", "--env", BLUE, "--namespace", "shop", "--platform-config", str(config)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "cluster" in result.output
