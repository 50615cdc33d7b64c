"""Which steps can reach analysis.min_requests, from the traffic the plan expects."""

from typing import Any

import pytest

from cutover.plan.model import Plan, PlanError, parse_plan
from cutover.plan.traffic_estimate import StepEstimate, TrafficCheck, check_traffic
from cutover.plan.traffic_report import green_requests, traffic_warnings, unchecked
from tests.plan.plans import DELETE, changed

EXPOSED = ["checkout", "catalog"]  # the example's exposed services


def plan_with(**sections: dict[str, Any]) -> Plan:
    data = changed("analysis.expected_rps", 100)
    for section, fields in sections.items():
        data[section] = {**data[section], **fields}
    return parse_plan(data)


def check(plan: Plan) -> TrafficCheck:
    return check_traffic(plan, [s for s in plan.services if s.name in EXPOSED])


def by_step(traffic: TrafficCheck, service: str = "checkout") -> dict[str, StepEstimate]:
    return {e.step.name: e for e in traffic.estimates if service in e.traffic.services}


def test_the_example_at_100_rps_reaches_min_requests_in_every_step() -> None:
    plan = plan_with()
    steps = by_step(check(plan))
    assert list(steps) == ["step 2%", "step 25%", "step 75%", "step 100%", "monitoring window"]
    two = steps["step 2%"]
    assert (two.step.looks.count, two.per_look, two.per_bake) == (30, 2.0 * 60, 2.0 * 60 * 30)
    assert steps["monitoring window"].per_bake == 100 * 2 * 3600
    assert all(e.reaches_min_requests for e in steps.values())
    assert traffic_warnings(plan, check(plan)) == []


def test_a_2s_bake_at_100_rps_is_flagged_at_every_traffic_step() -> None:
    plan = plan_with(traffic={"bake": "2s"})
    steps = by_step(check(plan))
    assert steps["step 2%"].per_bake == pytest.approx(4)
    assert [name for name, e in steps.items() if not e.reaches_min_requests] == [
        "step 2%",
        "step 25%",
        "step 75%",
        "step 100%",
    ]
    warnings = traffic_warnings(plan, check(plan))
    assert warnings[0] == (
        "step 2%: green expects ~4 requests per 2s bake at 100 req/s; it needs analysis.min_requests "
        "(1000) to pass, so it will end inconclusive and pause (on_inconclusive: pause). Lengthen "
        "traffic.bake, lower analysis.min_requests, or raise the first weight in traffic.steps"
    )
    assert warnings[-1].startswith("step 100%: green expects ~200 requests per 2s bake")
    assert warnings[-1].endswith("Lengthen traffic.bake or lower analysis.min_requests")


def test_a_0s_bake_counts_one_interval() -> None:
    steps = by_step(check(plan_with(traffic={"bake": "0s"}, analysis={"interval": "5m"})))
    assert steps["step 2%"].per_bake == pytest.approx(100 * 0.02 * 300)
    assert steps["step 2%"].reaches_min_requests is False  # 600


def test_extend_counts_two_bakes_and_is_offered_where_it_would_be_enough() -> None:
    plan = plan_with(traffic={"bake": "5m"})  # 2%: 600 per bake, 1,200 in two
    [warning] = traffic_warnings(plan, check(plan))
    assert warning.endswith("or set analysis.on_inconclusive: extend (two bakes: ~1,200)")
    extended = plan_with(traffic={"bake": "5m"}, analysis={"on_inconclusive": "extend"})
    two = by_step(check(extended))["step 2%"]
    assert two.reaches_min_requests and two.needs_extension
    assert (
        green_requests(two)
        == "~120 per look, ~600 per bake: analysis.min_requests (1000) only with its extension"
    )
    assert traffic_warnings(extended, check(extended)) == []


def test_extend_that_is_not_enough_says_so() -> None:
    plan = plan_with(traffic={"bake": "2m"}, analysis={"on_inconclusive": "extend"})
    warning = traffic_warnings(plan, check(plan))[0]
    assert warning.startswith("step 2%: green expects ~240 requests per 2m bake at 100 req/s, ~480 with its")
    assert "so it will end inconclusive and pause (on_inconclusive: extend)" in warning
    assert "set analysis.on_inconclusive" not in warning


def test_rollback_is_named_as_the_outcome() -> None:
    plan = plan_with(traffic={"bake": "2s"}, analysis={"on_inconclusive": "rollback"})
    assert (
        "end inconclusive and roll back (on_inconclusive: rollback)" in traffic_warnings(plan, check(plan))[0]
    )


def test_the_monitoring_window_is_checked_with_green_at_100_percent() -> None:
    plan = plan_with(monitoring={"window": "0s"}, analysis={"expected_rps": 10})
    window = by_step(check(plan))["monitoring window"]
    assert (window.step.weight, window.per_bake) == (100, 10 * 60)
    assert traffic_warnings(plan, check(plan))[-1] == (
        "monitoring window: green expects ~600 requests per 0s (its one look counts 1m) window at 10 req/s; "
        "it needs analysis.min_requests (1000) to pass, so it will end inconclusive and pause "
        "(on_inconclusive: pause). Lengthen monitoring.window, lower analysis.min_requests, or set "
        "analysis.on_inconclusive: extend (two windows: ~1,200)"
    )


def test_a_service_override_is_estimated_and_named_on_its_own() -> None:
    plan = parse_plan(changed("services.3.expected_rps", 5, changed("analysis.expected_rps", 100)))
    traffic = check(plan)
    assert by_step(traffic, "checkout")["step 2%"].per_bake == pytest.approx(5 * 0.02 * 1800)
    assert by_step(traffic, "catalog")["step 2%"].per_bake == pytest.approx(100 * 0.02 * 1800)
    [warning] = traffic_warnings(plan, traffic)
    assert warning.startswith("step 2%: green expects ~180 requests per 30m bake at 5 req/s (checkout);")


def test_without_expected_rps_the_check_is_skipped_and_says_how_to_enable_it() -> None:
    plan = parse_plan(changed("analysis.expected_rps", DELETE))
    traffic = check(plan)
    assert traffic.estimates == [] and traffic_warnings(plan, traffic) == []
    assert unchecked(plan, traffic) == (
        "green traffic per step not checked: set analysis.expected_rps (requests/s per exposed service, "
        "blue and green together) to check that every step can reach analysis.min_requests (1000)"
    )
    only_checkout = parse_plan(
        changed("services.3.expected_rps", 50, changed("analysis.expected_rps", DELETE))
    )
    partial = check(only_checkout)
    assert {e.traffic.services for e in partial.estimates} == {("checkout",)}
    assert unchecked(only_checkout, partial) == (
        "green traffic per step not checked for catalog: set analysis.expected_rps, "
        "or expected_rps on each of these services"
    )


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("analysis.expected_rps", 0, "analysis.expected_rps: Input should be greater than 0"),
        ("analysis.expected_rps", -5, "analysis.expected_rps: Input should be greater than 0"),
        ("analysis.expected_rps", True, "analysis.expected_rps: Input should be a valid number"),
        ("analysis.expected_rps", "100", "analysis.expected_rps: Input should be a valid number"),
        ("analysis.expected_rps", float("nan"), "analysis.expected_rps: Input should be a finite number"),
        (
            "analysis.expected_rps",
            1e300,
            "analysis.expected_rps: Input should be less than or equal to 10000000",
        ),
        ("services.3.expected_rps", 0, "services[3].expected_rps: Input should be greater than 0"),
        (
            "services.2.expected_rps",
            5,
            "services[2].expected_rps: email-worker is declared non-exposed: no traffic step analyses it",
        ),
        (
            "services.0.expected_rps",
            5,
            "services[0].expected_rps: nightly-invoices is a CronJob: no traffic step analyses it",
        ),
    ],
)
def test_a_bad_expected_rps_is_one_line_naming_the_field(path: str, value: Any, problem: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(changed(path, value))
    assert caught.value.problems == [problem]
