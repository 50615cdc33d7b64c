"""`cutover local init PLAN`: a local environment for your own plan, and one the migration can run on."""

from pathlib import Path

from click.testing import CliRunner

from cutover.cli.main import cli
from cutover.plan.model import load_plan
from cutover.platform.local import LocalEnvironment

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop-migration.yaml"


def init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["local", "init", str(EXAMPLE), *args])
    return result.exit_code, result.output


def test_every_workload_in_blue_configuration_in_both_traffic_on_blue(tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    code, output = init("--out", str(out))
    assert code == 0, output
    assert f"wrote {out}" in output
    plan = load_plan(EXAMPLE)
    local = LocalEnvironment(out)
    state = local.read()
    assert state["version"] == 1 and state["blue"] == "eks"
    for service in plan.services:
        found = local.find("eks", service.namespace, service.workload_kind, service.workload_name)
        assert found is not None and found.replicas >= 1, service.name
        assert local.available("eks", service.namespace, service.workload_kind, service.workload_name)
        assert (
            local.find("eks-fargate", service.namespace, service.workload_kind, service.workload_name) is None
        )
        assert local.green_percent(service.namespace, service.name) == 0
        assert (
            local.config_problems("eks", "eks-fargate", service.namespace, *service.workload.split("/")) == []
        )
    exposed = {
        s.name for s in plan.services if state["clusters"]["eks"][f"{s.namespace}/{s.workload}"]["exposed"]
    }
    assert exposed == {"checkout", "catalog"}  # as the plan declares them
    assert local.cron_enabled_in("billing", "nightly-invoices") == ["eks"]


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    out.write_text("mine")
    code, output = init("--out", str(out))
    assert code == 2
    assert output.strip() == f"error: {out} exists: pass --force to replace it"
    assert out.read_text() == "mine"
    code, output = init("--out", str(out), "--force")
    assert code == 0, output
    assert LocalEnvironment(out).read()["blue"] == "eks"


def test_the_default_is_where_the_worker_and_cli_look(tmp_path: Path) -> None:
    runner = CliRunner(env={"CUTOVER_LOCAL_STATE": str(tmp_path / "here.json")})
    result = runner.invoke(cli, ["local", "init", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert LocalEnvironment(tmp_path / "here.json").read()["clusters"]["eks"]


def test_discovered_exposure_is_said(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: p\nsource: {name: a}\ntarget: {name: b}\ngates: {approvers: [ann]}\n"
        "services:\n  - {name: web, workload: deployment/web}\n  - {name: job, workload: cronjob/job}\n"
    )
    result = CliRunner().invoke(cli, ["local", "init", str(plan), "--out", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    assert "exposure: discover taken as exposed for web:" in result.output
    state = LocalEnvironment(tmp_path / "e.json").read()
    assert state["clusters"]["a"]["default/deployment/web"]["exposed"] is True
    assert state["clusters"]["a"]["default/cronjob/job"]["exposed"] is False


def test_a_bad_plan_is_refused_and_nothing_written(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("name: p\nsource: {name: a}\n")
    result = CliRunner().invoke(cli, ["local", "init", str(plan), "--out", str(tmp_path / "e.json")])
    assert result.exit_code == 2
    assert "target" in result.output
    assert not (tmp_path / "e.json").exists()
