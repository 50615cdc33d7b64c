"""`plan validate` and `plan show` say how much green traffic each step expects and warn, on stderr
and without failing, about every step that cannot reach analysis.min_requests."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from cutover.cli.main import cli
from cutover.plan.model import load_plan, parse_plan
from tests.plan.plans import DELETE, changed

SHORT_BAKE_WARNING = (
    "warning: step 2%: green expects ~4 requests per 2s bake at 100 req/s; it needs "
    "analysis.min_requests (1000) to pass, so it will end inconclusive and pause (on_inconclusive: "
    "pause). Lengthen traffic.bake, lower analysis.min_requests, or raise the first weight in "
    "traffic.steps"
)


def plan_file(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def short_bake(tmp_path: Path) -> Path:
    """The example at 100 req/s with 2s bakes: every traffic step falls short of 1000."""
    return plan_file(tmp_path, changed("traffic.bake", "2s", changed("analysis.expected_rps", 100)))


def test_validate_warns_about_each_short_step_and_still_passes(short_bake: Path) -> None:
    result = run("plan", "validate", short_bake)
    assert result.exit_code == 0, result.output
    assert "  green requests per step at 100 req/s:\n" in result.stdout
    assert "    step 2%: ~4 per look, ~4 per bake: fewer than analysis.min_requests (1000)\n" in result.stdout
    assert "    monitoring window: ~6,000 per look, ~720,000 per window\n" in result.stdout
    warnings = result.stderr.splitlines()
    assert warnings[0] == SHORT_BAKE_WARNING
    assert [w.split(":")[1] for w in warnings] == [" step 2%", " step 25%", " step 75%", " step 100%"]
    assert "warning:" not in result.stdout


def test_show_words_the_looks_and_puts_the_traffic_under_its_step(short_bake: Path) -> None:
    result = run("plan", "show", short_bake)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = next(
        i
        for i, line in enumerate(lines)
        if line.endswith("validation: set 2% green, bake 2s, one look after 2s")
    )
    assert (
        lines[at + 1]
        == "       green at 100 req/s: ~4 per look, ~4 per bake: fewer than analysis.min_requests (1000)"
    )
    assert "full cutover: monitoring window 2h, a look every 1m (120 looks)" in result.stdout
    assert result.stderr.splitlines()[0] == SHORT_BAKE_WARNING


def test_the_example_at_100_rps_has_no_warning() -> None:
    example = Path(__file__).parents[2] / "examples" / "shop-migration.yaml"
    assert load_plan(example).analysis.expected_rps == 100
    for command in ("validate", "show"):
        result = run("plan", command, example)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        assert "~120 per look, ~3,600 per bake" in result.stdout
    assert "bake 30m, a look every 1m (30 looks)" in run("plan", "show", example).stdout


def test_without_expected_rps_the_check_is_skipped_once(tmp_path: Path) -> None:
    path = plan_file(tmp_path, changed("traffic.bake", "2s", changed("analysis.expected_rps", DELETE)))
    for command in ("validate", "show"):
        result = run("plan", command, path)
        assert result.exit_code == 0, result.output
        assert result.stdout.count("green traffic per step not checked: set analysis.expected_rps") == 1
        assert result.stderr == ""


def test_validate_json_stays_the_plan_and_the_warnings_go_to_stderr(short_bake: Path) -> None:
    result = run("plan", "validate", short_bake, "--json")
    assert result.exit_code == 0, result.output
    assert parse_plan(json.loads(result.stdout)) == load_plan(short_bake)
    assert result.stderr.splitlines()[0] == SHORT_BAKE_WARNING


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("analysis.expected_rps", 0, "analysis.expected_rps: Input should be greater than 0"),
        ("services.2.expected_rps", 5, "services[2].expected_rps: email-worker is declared non-exposed"),
    ],
)
def test_a_bad_expected_rps_fails_validate(tmp_path: Path, path: str, value: Any, problem: str) -> None:
    result = run("plan", "validate", plan_file(tmp_path, changed(path, value)))
    assert result.exit_code == 2
    assert problem in result.stderr
