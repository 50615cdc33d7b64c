"""The traffic estimate in words: what `plan validate` and `plan show` print, and their warnings.

A warning names the step, the numbers it rests on, what the plan's on_inconclusive will then do,
and the fields that would change it; it never makes a plan invalid (the traffic is a guess).
"""

from collections.abc import Sequence
from datetime import timedelta

from cutover.durations import format_duration as fmt
from cutover.plan.model import InconclusiveAction, Plan
from cutover.plan.traffic_estimate import ExpectedTraffic, StepEstimate, TrafficCheck

# How many services a line names before it says how many more there are.
NAMED_SERVICES = 3


def green_requests(estimate: StepEstimate) -> str:
    """'~120 per look, ~3,600 per bake', and whether that falls short of min_requests."""
    step = estimate.step
    text = f"{about(estimate.per_look)} per look, {about(estimate.per_bake)} per {step.unit}"
    if not estimate.reaches_min_requests:
        return f"{text}: fewer than analysis.min_requests ({estimate.min_requests})"
    if estimate.needs_extension:
        return f"{text}: analysis.min_requests ({estimate.min_requests}) only with its extension"
    return text


def expected_rate(check: TrafficCheck, traffic: ExpectedTraffic) -> str:
    """'100 req/s', or '5 req/s (checkout)' where other services expect other traffic."""
    return f"{rate(traffic.rps)} req/s{serving(traffic, check.names_services())}"


def unchecked(plan: Plan, check: TrafficCheck) -> str | None:
    """Why some or all steps went unchecked, and how to check them; None when nothing was skipped."""
    if not check.unknown:
        return None
    if not check.estimates:
        return (
            "green traffic per step not checked: set analysis.expected_rps (requests/s per exposed "
            "service, blue and green together) to check that every step can reach "
            f"analysis.min_requests ({plan.analysis.min_requests})"
        )
    return (
        f"green traffic per step not checked for {names(check.unknown)}: set analysis.expected_rps, "
        "or expected_rps on each of these services"
    )


def traffic_warnings(plan: Plan, check: TrafficCheck) -> list[str]:
    """One line per step (and group of services) that cannot reach min_requests, naming what to change."""
    first_weight = plan.traffic.steps[0]
    return [
        _shortfall(plan, check, estimate, estimate.step.weight == first_weight)
        for estimate in check.estimates
        if not estimate.reaches_min_requests
    ]


def _shortfall(plan: Plan, check: TrafficCheck, estimate: StepEstimate, first: bool) -> str:
    step, action, twice = estimate.step, plan.analysis.on_inconclusive, 2 * estimate.per_bake
    span = fmt(step.length)
    if step.length <= timedelta(0):
        span += f" (its one look counts {fmt(step.looks.last)})"
    seen = (
        f"{step.name}: green expects {about(estimate.per_bake)} requests per {span} {step.unit} "
        f"at {expected_rate(check, estimate.traffic)}"
    )
    if action is InconclusiveAction.EXTEND:
        seen += f", {about(twice)} with its extension"
    ending = "roll back" if action is InconclusiveAction.ROLLBACK else "pause"
    changes = [f"lengthen {step.length_field}", "lower analysis.min_requests"]
    if step.weight < 100:
        changes.append(f"raise {'the first' if first else 'this'} weight in traffic.steps")
    if action is not InconclusiveAction.EXTEND and twice >= estimate.min_requests:
        changes.append(f"set analysis.on_inconclusive: extend (two {step.unit}s: {about(twice)})")
    return (
        f"{seen}; it needs analysis.min_requests ({estimate.min_requests}) to pass, so it will end "
        f"inconclusive and {ending} (on_inconclusive: {action.value}). {_one_of(changes)}"
    )


def _one_of(changes: list[str]) -> str:
    """'Lengthen x, lower y, or raise z'."""
    text = ", ".join(changes[:-1]) + ("," if len(changes) > 2 else "") + f" or {changes[-1]}"
    return text[0].upper() + text[1:]


def about(requests: float) -> str:
    """'~3,600', '~4', '~0.24': whole requests once there are some, two digits below ten."""
    return f"~{requests:,.0f}" if requests >= 10 else f"~{requests:.2g}"


def rate(rps: float) -> str:
    return f"{rps:,.10g}"


def serving(traffic: ExpectedTraffic, named: bool) -> str:
    """' (checkout, catalog)' where a line speaks for some services only; else ''."""
    return f" ({names(traffic.services)})" if named else ""


def names(services: Sequence[str]) -> str:
    """'a, b, c and 4 more': a line stays short whatever the number of services."""
    more = len(services) - NAMED_SERVICES
    return ", ".join(services[:NAMED_SERVICES]) + (f" and {more} more" if more > 0 else "")
