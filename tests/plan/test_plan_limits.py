"""Plans that cannot work are refused before anything starts: one line per problem, naming the field."""

import json
from datetime import timedelta
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from cutover.durations import format_duration
from cutover.plan.history_budget import estimate_history, history_problems
from cutover.plan.model import DURATION_BOUNDS, MAX_PLAN_BYTES, Plan, PlanError, parse_plan
from tests.plan.plans import GOOD, changed, services

ONE_SECOND = timedelta(seconds=1)
GATES = "['uat', 'traffic-2', 'traffic-25', 'traffic-75', 'full-cutover']"
FIVES = list(range(5, 100, 5))
ALL_GATES = ["uat", *(f"traffic-{w}" for w in FIVES), "full-cutover"]

# (plan, the start of one of its problem lines): each was accepted, or crashed, before.
REFUSED: list[tuple[dict[str, Any], str]] = [
    # durations: overflow, NaN, zero intervals and zero gate timeouts
    (changed("gates.timeout", "3000000d"), "gates.timeout: must be at most 30d, got 3000000d"),
    (changed("gates.timeout", "31d"), "gates.timeout: must be at most 30d, got 31d"),
    (changed("gates.timeout", "0s"), "gates.timeout: must be at least 1m, got 0s"),
    (changed("gates.timeout", 59), "gates.timeout: must be at least 1m, got 59s"),
    (changed("traffic.bake", "99999999999d"), "traffic.bake: must be at most 7d, got 99999999999d"),
    (changed("traffic.bake", 1e300), "traffic.bake: must be at most 7d, got 1e+300s"),
    (changed("traffic.bake", 10**100), "traffic.bake: must be at most 7d, got 1000000000"),
    (changed("traffic.bake", float("nan")), "traffic.bake: duration must be a finite number of seconds"),
    (changed("traffic.bake", float("inf")), "traffic.bake: duration must be a finite number of seconds"),
    (changed("traffic.bake", float("-inf")), "traffic.bake: duration must be a finite number of seconds"),
    (changed("traffic.bake", 1.5), "traffic.bake: duration must be whole seconds, got 1.5s"),
    (changed("monitoring.check_interval", "0s"), "monitoring.check_interval: must be at least 1s, got 0s"),
    (
        changed("parallel_operation.health_check_interval", "0s"),
        "parallel_operation.health_check_interval: must be at least 1s, got 0s",
    ),
    (changed("rollout.timeout", "25h"), "rollout.timeout: must be at most 1d, got 1d1h"),
    (
        changed("cronjobs.first_run_timeout", "36d"),
        "cronjobs.first_run_timeout: must be at most 35d, got 36d",
    ),
    # a CronJob is never exposed
    (
        changed("services.0.exposure", "exposed"),
        "services[0].exposure: a CronJob is never exposed; use non-exposed or discover",
    ),
    # one workload, two entries
    (
        changed("services.4.workload", "deployment/checkout"),
        "services[4].workload: deployment/checkout in namespace shop is already planned as "
        "services[3] (checkout)",
    ),
    # booleans are not numbers; integers are integers; numbers are finite
    (changed("traffic.steps", [True, 5, 100]), "traffic.steps[0]: Input should be a valid integer"),
    (changed("traffic.steps", [*range(1, 20), 50, 100]), "traffic.steps: List should have at most 20 items"),
    (changed("non_exposed.batch_size", True), "non_exposed.batch_size: Input should be a valid integer"),
    (changed("non_exposed.parallelism", 2.0), "non_exposed.parallelism: Input should be a valid integer"),
    (changed("analysis.max_error_rate", True), "analysis.max_error_rate: Input should be a valid number"),
    (
        changed("analysis.max_latency_ratio", float("inf")),
        "analysis.max_latency_ratio: Input should be a finite",
    ),
    (
        changed("analysis.max_p99_latency_ms", float("nan")),
        "analysis.max_p99_latency_ms: Input should be a finite number",
    ),
    # continuous analysis
    (changed("analysis.interval", "0s"), "analysis.interval: must be at least"),
    (changed("analysis.alpha", 0), "analysis.alpha: Input should be greater than or equal to 0.000000001"),
    (
        changed("analysis.alpha", 1e-320),
        "analysis.alpha: Input should be greater than or equal to 0.000000001",
    ),
    (changed("analysis.tolerance", 1e300), "analysis.tolerance: Input should be less than or equal to 100"),
    (changed("analysis.alpha", 0.5), "analysis.alpha: Input should be less than 0.5"),
    (
        changed("analysis.min_requests", 0),
        "analysis.min_requests: Input should be greater than or equal to 1",
    ),
    (changed("analysis.tolerance", 0.5), "analysis.tolerance: Input should be greater than or equal to 1"),
    (changed("analysis.on_inconclusive", "ignore"), "analysis.on_inconclusive: Input should be 'pause'"),
    (
        changed("analysis.bake_min", "2h"),
        "analysis.bake_min: 2h is longer than traffic.bake (30m), so no step could end early",
    ),
    # approvers and required gates
    (changed("gates.approvers", [""]), "gates.approvers[0]: String should have at least 1 character"),
    (changed("gates.approvers", ["alice", "   "]), "gates.approvers[1]: must not be blank"),
    (
        changed("gates.approvers", ["ali\nce"]),
        "gates.approvers[0]: must not contain control characters, found '\\n'",
    ),
    (
        changed("gates.approvers", ["a\tb"]),
        "gates.approvers[0]: must not contain control characters, found '\\t'",
    ),
    (changed("gates.approvers", [" alice"]), "gates.approvers[0]: must not begin or end with spaces"),
    (
        changed("gates.approvers", ["a" * 101]),
        "gates.approvers[0]: String should have at most 100 characters",
    ),
    (
        changed("gates.approvers", ["alice", "bob", "alice"]),
        "gates.approvers[2]: 'alice' is already listed as gates.approvers[0]",
    ),
    (
        changed("gates.approvers", [f"user-{i}" for i in range(51)]),
        "gates.approvers: List should have at most 50 items",
    ),
    (
        changed("gates.require", ["uat", "full-cutover", "uat"]),
        "gates.require[2]: 'uat' is already listed as gates.require[0]",
    ),
    # workload names are Kubernetes object names
    (
        changed("services.3.workload", "deployment/a/b"),
        "services[3].workload: NAME in 'deployment/NAME' must be a",
    ),
    (
        changed("services.3.workload", "deployment/Checkout"),
        "services[3].workload: NAME in 'deployment/NAME'",
    ),
    (changed("services.3.workload", "statefulset/-db"), "services[3].workload: NAME in 'statefulset/NAME'"),
    (
        changed("services.0.workload", "cronjob/nightly_invoices"),
        "services[0].workload: NAME in 'cronjob/NAME'",
    ),
    (changed("services.3.workload", "deployment/a..b"), "services[3].workload: NAME in 'deployment/NAME'"),
    (
        changed("services.3.workload", "deployment/" + "a" * 254),
        "services[3].workload: NAME in 'deployment/NAME'",
    ),
    # names that become workflow ids, search attributes and DNS labels
    (
        changed("source.name", "e ks"),
        "source.name: must not contain whitespace or control characters, found ' '",
    ),
    (
        changed("target.name", "eks-fargate\n"),
        "target.name: must not contain whitespace or control characters",
    ),
    (changed("source.name", "a" * 254), "source.name: String should have at most 253 characters"),
    (changed("name", "a" * 64), "name: String should have at most 63 characters"),
    (changed("services.3.name", "a" * 64), "services[3].name: String should have at most 63 characters"),
    (
        changed("services.3.namespace", "a" * 64),
        "services[3].namespace: String should have at most 63 characters",
    ),
    (changed("services", services(1001)), "services: List should have at most 1000 items"),
    # problems across fields name their field, not 'plan'
    (changed("target.name", "eks"), "target.name: must differ from source.name ('eks')"),
    (changed("gates.approvers", []), "gates.approvers: gates need approval but no approvers are listed"),
    (
        changed("gates.require", ["uat", "traffic-50"]),
        f"gates.require[1]: unknown gate 'traffic-50'; known gates are {GATES}",
    ),
    (
        changed("services.4.name", "checkout"),
        "services[4].name: 'checkout' is already the name of services[3]",
    ),
]

ACCEPTED: list[tuple[dict[str, Any], str]] = [
    (changed("services.0.exposure", "non-exposed"), "a CronJob declared non-exposed"),
    (
        changed("services.4.namespace", "billing", changed("services.4.workload", "deployment/checkout")),
        "same name, other namespace",
    ),
    (changed("services.4.workload", "statefulset/checkout"), "same name, other kind"),
    (changed("services.3.workload", "deployment/checkout.v2"), "a dotted object name"),
    (changed("services.3.workload", "deployment/" + "a" * 253), "the longest object name"),
    (changed("analysis.max_p99_latency_ms", 750), "an integer for a float"),
    (
        changed("gates.approvers", ["Alice Smith", "bob@example.com", "Zoë"]),
        "approvers with spaces and accents",
    ),
    (changed("source.name", "arn:aws:eks:eu-west-1:123456789012:cluster/prod"), "an EKS context name"),
    (changed("name", "a" * 63), "the longest plan name"),
    (changed("services", services(1000)), "the most services"),
    (
        changed("gates.require", ALL_GATES, changed("traffic.steps", [*FIVES, 100])),
        "the most traffic steps, every gate required",
    ),
    (changed("gates.approvers", [f"user-{i}" for i in range(50)]), "the most approvers"),
]


@pytest.mark.parametrize(("data", "expected"), REFUSED, ids=[e[:70] for _, e in REFUSED])
def test_refused_with_a_line_starting_with_the_field(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(data)
    assert any(line.startswith(expected) for line in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(("data", "case"), ACCEPTED, ids=[case for _, case in ACCEPTED])
def test_accepted_and_round_trips(data: dict[str, Any], case: str) -> None:
    plan = parse_plan(data)
    assert parse_plan(plan.model_dump(mode="json")) == plan


def test_every_cross_field_problem_at_once() -> None:
    data = changed("target.name", "eks")
    data["services"][0]["exposure"] = "exposed"
    data["services"][4]["name"] = "checkout"
    data["gates"]["require"].append("traffic-50")
    with pytest.raises(PlanError) as caught:
        parse_plan(data)
    assert caught.value.problems == [
        "target.name: must differ from source.name ('eks')",
        "services[0].exposure: a CronJob is never exposed; use non-exposed or discover",
        "services[4].name: 'checkout' is already the name of services[3]",
        f"gates.require[4]: unknown gate 'traffic-50'; known gates are {GATES}",
    ]


def _duration_fields() -> set[str]:
    """Every 'section.field' of the plan that holds a duration."""
    sections = {name: f.annotation for name, f in Plan.model_fields.items()}
    return {
        f"{name}.{inner}"
        for name, model in sections.items()
        if isinstance(model, type) and issubclass(model, BaseModel)
        for inner, field in model.model_fields.items()
        if _holds_duration(field.annotation)
    }


def _holds_duration(annotation: object) -> bool:
    """timedelta, or an optional one (pydantic keeps the Annotated inside the Optional)."""
    if annotation is timedelta:
        return True
    return any(arg is timedelta or get_args(arg)[:1] == (timedelta,) for arg in get_args(annotation))


def test_every_duration_is_bounded_and_its_default_lies_within() -> None:
    assert _duration_fields() == set(DURATION_BOUNDS)
    defaults = Plan.model_construct()  # every section at its defaults
    for path, (low, high) in DURATION_BOUNDS.items():
        section, name = path.split(".")
        default = getattr(getattr(defaults, section), name)
        assert default is None or low <= default <= high, path


@pytest.mark.parametrize("path", DURATION_BOUNDS)
def test_each_bound_is_inclusive_and_one_second_past_it_is_refused(path: str) -> None:
    low, high = DURATION_BOUNDS[path]
    for inside in (low, high):
        data = changed(path, format_duration(inside))
        if path == "analysis.bake_min":  # no longer than the bake, and no more looks than a history holds
            data["traffic"]["bake"] = format_duration(inside)
            data["analysis"]["interval"] = format_duration(min(max(inside, ONE_SECOND), timedelta(days=1)))
        plan = parse_plan(data)
        assert parse_plan(plan.model_dump(mode="json")) == plan
    outside = [(high + ONE_SECOND, f"must be at most {format_duration(high)}")]
    if low:
        outside.append((low - ONE_SECOND, f"must be at least {format_duration(low)}"))
    for value, message in outside:
        with pytest.raises(PlanError) as caught:
            parse_plan(changed(path, format_duration(value)))
        assert caught.value.problems == [f"{path}: {message}, got {format_duration(value)}"]


def test_the_tightest_loops_and_longest_waits_still_get_a_history_estimate() -> None:
    """The history budget divides by the check intervals: a plan that parses never divides by zero, and
    the tightest loops fit, one bounded run after another."""
    data = changed("parallel_operation", {"duration": "30d", "health_check_interval": "1s"})
    data["monitoring"] = {"window": "30d", "check_interval": "1s"}
    plan = parse_plan(data)
    assert estimate_history(plan).total > 0
    assert history_problems(plan) == []


def _compact_size(data: object) -> int:
    return len(json.dumps(data, separators=(",", ":"), default=str))


def test_a_plan_over_512_kib_as_json_is_refused_and_one_at_the_limit_is_not() -> None:
    padding = MAX_PLAN_BYTES - _compact_size({**GOOD, "padding": ""})
    at_limit = {**GOOD, "padding": "x" * padding}
    assert _compact_size(at_limit) == MAX_PLAN_BYTES
    with pytest.raises(PlanError) as caught:
        parse_plan(at_limit)
    assert caught.value.problems == ["padding: unknown field"]
    with pytest.raises(PlanError) as caught:
        parse_plan({**GOOD, "padding": "x" * (padding + 1)})
    assert caught.value.problems == ["plan: larger than 512 KiB as JSON, the most a plan may be"]


def test_size_is_measured_without_writing_out_shared_data() -> None:
    """One list held a thousand times over would be a gigabyte of JSON: refused without writing it out."""
    row = ["x" * 1024] * 1024
    with pytest.raises(PlanError) as caught:
        parse_plan(changed("services", [row] * 1024))
    assert caught.value.problems == ["plan: larger than 512 KiB as JSON, the most a plan may be"]
