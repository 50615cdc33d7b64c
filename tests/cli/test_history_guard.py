"""Plans whose migration would outgrow Temporal's history are refused by every command that reads them."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cutover.cli.main import cli
from cutover.plan.history_budget import estimate_history
from cutover.plan.model import load_plan

EXAMPLE = Path(__file__).parents[2] / "examples" / "shop-migration.yaml"


@pytest.fixture
def too_much_traffic_run(tmp_path: Path) -> Path:
    """1,000 exposed services through ten traffic steps: their analysis groups' reports outgrow a run."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["services"] = [
        {"name": f"web-{i}", "workload": f"deployment/web-{i}", "namespace": "web", "exposure": "exposed"}
        for i in range(1000)
    ]
    data["traffic"] = {"steps": list(range(10, 101, 10)), "bake": "30m"}
    data["gates"] = {"require": []}
    del data["uat"], data["checks"], data["notify"]  # the testers' route needs the uat gate; the shop
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


NO_SERVER = ["--address", "127.0.0.1:1"]  # a refusal must come before any connection


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "validate", "PLAN"],
        ["plan", "show", "PLAN"],
        ["start", "PLAN", *NO_SERVER],
        ["schedule", "create", "PLAN", "--cron", "0 2 * * 6", *NO_SERVER],
    ],
)
def test_refused_with_the_field_to_change_and_nothing_started(
    too_much_traffic_run: Path, args: list[str]
) -> None:
    result = CliRunner().invoke(cli, [str(too_much_traffic_run) if a == "PLAN" else a for a in args])
    assert result.exit_code == 2, result.output
    assert "services: one workflow run of the migration would record about " in result.output
    assert "split the services into several plans, or use fewer traffic steps" in result.output


def test_a_week_long_side_by_side_checked_every_minute_is_accepted(tmp_path: Path) -> None:
    """Its health rounds spread over runs that continue as new: no run outgrows its bound."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["parallel_operation"] = {"duration": "7d", "health_check_interval": "1m"}
    data["monitoring"] = {"window": "7d"}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["plan", "validate", str(path)])
    assert result.exit_code == 0, result.output


def test_validate_shows_the_estimate() -> None:
    result = CliRunner().invoke(cli, ["plan", "validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    history = estimate_history(load_plan(EXAMPLE))
    assert (
        f"workflow history: about {history.total:,} events over the migration's runs, "
        f"{history.largest_run:,} in its largest run (a run may record 10,240)"
    ) in result.output
