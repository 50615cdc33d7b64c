"""Every bad plan is refused with its field path and the problem."""

from pathlib import Path
from typing import Any

import pytest

from cutover.plan.model import PlanError, load_plan, parse_plan
from tests.plan.plans import DELETE, GOOD, changed

BAD_PLANS = [
    (changed("name", "Shop To Fargate"), "name: must be a DNS label"),
    (changed("source", DELETE), "source: Field required"),
    (changed("target.name", "eks"), "target.name: must differ from source.name ('eks')"),
    (changed("target.kind", "openshift"), "target.kind: Input should be 'local' or 'kubernetes'"),
    (changed("services", []), "services: List should have at least 1 item"),
    (changed("services.0.workload", "job/nightly"), "services[0].workload: must be 'deployment/NAME'"),
    (changed("services.1.exposure", "public"), "services[1].exposure: Input should be 'exposed'"),
    (
        changed("services.1.name", "nightly-invoices"),
        "services[1].name: 'nightly-invoices' is already the name of services[0]",
    ),
    (changed("services.2.colour", "blue"), "services[2].colour: unknown field"),
    (
        changed("non_exposed.batch_size", 0),
        "non_exposed.batch_size: Input should be greater than or equal to 1",
    ),
    (changed("traffic.steps", [2, 25, 25, 100]), "traffic.steps: weights must strictly increase"),
    (changed("traffic.steps", [50, 10, 100]), "traffic.steps: weights must strictly increase"),
    (changed("traffic.steps", [2, 25, 150]), "traffic.steps: weight 150 is outside 1..100"),
    (changed("traffic.steps", [2, 25, 75]), "traffic.steps: last step must be 100"),
    (changed("traffic.bake", "half an hour"), "traffic.bake: invalid duration 'half an hour'"),
    (
        changed("parallel_operation.health_check_interval", 0),
        "parallel_operation.health_check_interval: must be at least 1s, got 0s",
    ),
    (
        changed("analysis.max_error_rate", 2),
        "analysis.max_error_rate: Input should be less than or equal to 1",
    ),
    (changed("gates.require", ["uat", "traffic-50"]), "gates.require[1]: unknown gate 'traffic-50'"),
    (changed("gates.approvers", []), "gates.approvers: gates need approval but no approvers are listed"),
    (changed("gates.on_timeout", "ignore"), "gates.on_timeout: Input should be 'rollback' or 'pause'"),
    (changed("monitoring.window", -5), "monitoring.window: duration must not be negative"),
]


def test_the_example_plan_is_valid() -> None:
    plan = parse_plan(GOOD)
    assert plan.partial_steps() == [2, 25, 75]
    assert plan.traffic.bake.total_seconds() == 1800


@pytest.mark.parametrize(("data", "expected"), BAD_PLANS, ids=[e for _, e in BAD_PLANS])
def test_bad_plan_is_refused_with_field_and_problem(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(data)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    data = changed("traffic.steps", [5, 2, 100])
    data["services"][0]["workload"] = "pod/x"
    with pytest.raises(PlanError) as caught:
        parse_plan(data)
    assert len(caught.value.problems) == 2


def test_plan_round_trips_through_json_as_the_ui_form_would_send_it() -> None:
    plan = parse_plan(GOOD)
    assert parse_plan(plan.model_dump(mode="json")) == plan


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="file not found"):
        load_plan(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(PlanError, match="malformed yaml"):
        load_plan(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(PlanError, match="expected a mapping"):
        load_plan(listing)
