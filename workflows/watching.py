"""Continuous analysis in the workflow: what one look asks and what its answer means.

The loop itself (a timer, then the batched `look` activity) is MigrationWorkflow._watch; this
module turns looks into the status's evidence and the reasons a step stops.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.analysis.decision import Verdict
    from cutover.analysis.looks import ServiceLook
    from cutover.models import AnalysisResult, LookCounts, Series


def counted(look: ServiceLook) -> LookCounts:
    green, blue = look.green, look.blue
    return LookCounts(
        green_requests=green.requests,
        green_errors=green.errors,
        blue_requests=blue.requests,
        blue_errors=blue.errors,
    )


def evidence(look: ServiceLook, weight: int, looks: Series) -> AnalysisResult:
    """The step so far as the status and the review show it: its counts, the tests closest to
    failing against their bounds, the last window's p99s, the verdict and the looks."""
    step, green, blue = look.state, look.green, look.blue
    return AnalysisResult(
        service=look.service,
        weight=weight,
        passed=look.verdict is not Verdict.FAIL,
        green_error_rate=_rate(step.step_green_errors, step.step_green_requests),
        blue_error_rate=_rate(step.step_blue_errors, step.step_blue_requests),
        green_p99_ms=green.p99_ms or 0.0,
        blue_p99_ms=blue.p99_ms or 0.0,
        reasons=look.reasons,
        verdict=look.verdict.value,
        green_requests=step.step_green_requests,
        green_errors=step.step_green_errors,
        blue_requests=step.step_blue_requests,
        blue_errors=step.step_blue_errors,
        evidence=look.comparison.e_value if look.comparison else None,
        bound=look.comparison.bound if look.comparison else None,
        limit_evidence=look.absolute.e_value if look.absolute else None,
        limit_bound=look.absolute.bound if look.absolute else None,
        looks=looks,
    )


def failure(label: str, look: ServiceLook) -> str:
    """Why the migration stops, with the counts it rests on."""
    step = look.state
    counts = (
        f"this step: green {step.step_green_errors}/{step.step_green_requests} errors, "
        f"blue {step.step_blue_errors}/{step.step_blue_requests}"
    )
    return f"{label} failed for {look.service}: {'; '.join(look.reasons)} ({counts})"


def _rate(errors: int, requests: int) -> float:
    return errors / requests if requests else 0.0
