"""monitoring.decommission: off by default (plans and their steps as before), a gate that always
waits for an approver when on, shown by `plan validate` and `plan show`."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cutover.cli.main import cli
from cutover.plan.history_budget import estimate_history
from cutover.plan.model import PlanError, parse_plan
from cutover.plan.steps import StepKind, planned_steps, step_sequence
from tests.plan.plans import GOOD, changed

ON = changed("monitoring.decommission", True)
EXPOSED = {s["name"]: s.get("exposure") == "exposed" for s in GOOD["services"]}


def refusal(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PlanError) as refused:
        parse_plan(data)
    return refused.value.problems


def test_off_by_default_changes_nothing() -> None:
    plan = parse_plan(changed("monitoring.decommission", False))
    assert plan == parse_plan(changed("monitoring", {"window": "2h"}))
    assert plan.gate_order()[-1] == "full-cutover"
    assert StepKind.DECOMMISSION not in {s.kind for s in step_sequence(plan, EXPOSED)}


def test_on_its_gate_comes_last_and_always_waits_for_an_approver() -> None:
    plan = parse_plan(ON)
    assert "decommission" not in plan.gates.require
    assert plan.gate_order()[-1] == "decommission" and plan.needs_approval("decommission")
    steps = planned_steps(plan, EXPOSED)
    monitor = next(i for i, s in enumerate(steps) if s.startswith("full cutover: monitoring window"))
    assert steps[monitor + 1] == (
        "gate decommission: wait for approval by one of alice, bob (timeout 1d, then blue stays as hot "
        "standby; a rejection keeps it too)"
    )
    assert steps[monitor + 2].startswith("full cutover: once approved, scale blue's Deployments and ")
    assert estimate_history(plan).parts["decommission"] > 0
    listed = changed("gates.require", [*GOOD["gates"]["require"], "decommission"], ON)
    assert parse_plan(listed).gates.require[-1] == "decommission", "listing it too is accepted"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            changed("gates", {"require": []}, changed("uat", {}, ON)),  # no uat gate: no testers' route
            "monitoring.decommission: its gate needs an approver, but gates.approvers is empty",
        ),
        (
            changed("monitoring.decommission", "yes"),
            "monitoring.decommission: Input should be a valid boolean",
        ),
        (changed("monitoring.decommission", 1), "monitoring.decommission: Input should be a valid boolean"),
    ],
)
def test_refused_with_the_field(data: dict[str, Any], problem: str) -> None:
    assert refusal(data) == [problem]


def test_the_gate_is_unknown_while_decommission_is_off() -> None:
    (problem,) = refusal(changed("gates.require", ["uat", "decommission"]))
    assert problem.startswith("gates.require[1]: unknown gate 'decommission'")


@pytest.mark.parametrize(("value", "says"), [(False, "no decommission"), (True, "then gate decommission")])
def test_validate_and_show_say_so(tmp_path: Path, value: bool, says: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(changed("monitoring.decommission", value)))
    validated = CliRunner().invoke(cli, ["plan", "validate", str(path)])
    assert validated.exit_code == 0, validated.output
    assert f"blue the hot standby (`cutover revert`); {says}" in validated.output
    shown = CliRunner().invoke(cli, ["plan", "show", str(path)])
    assert shown.exit_code == 0, shown.output
    assert ("gate decommission: wait for approval" in shown.output) is value
