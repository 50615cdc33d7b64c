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
def week_checked_every_minute(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["parallel_operation"] = {"duration": "7d", "health_check_interval": "1m"}
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
    week_checked_every_minute: Path, args: list[str]
) -> None:
    result = CliRunner().invoke(cli, [str(week_checked_every_minute) if a == "PLAN" else a for a in args])
    assert result.exit_code == 2, result.output
    assert "parallel_operation: the migration would record about " in result.output
    assert "raise parallel_operation.health_check_interval or shorten the duration" in result.output


def test_validate_shows_the_estimate() -> None:
    result = CliRunner().invoke(cli, ["plan", "validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    total = estimate_history(load_plan(EXAMPLE)).total
    assert f"workflow history: about {total:,} events at most (Temporal's limit 51,200)" in result.output
