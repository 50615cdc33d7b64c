"""Continuous analysis in the workflow: what one look asks and what its answer means.

The loop itself (a timer, then the batched look activity) is MigrationWorkflow._watch; this module
turns looks (cutover.analysis.looks) into the status's evidence and the reasons a step stops.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.analysis.burn_rate import Burn
    from cutover.analysis.looks import ServiceLook
    from cutover.analysis.verdict import Verdict
    from cutover.models import AnalysisResult, LookCounts, Series


def counted(look: ServiceLook) -> LookCounts:
    green, blue = look.green, look.blue
    return LookCounts(
        green_requests=green.requests,
        green_errors=green.errors,
        blue_requests=blue.requests,
        blue_errors=blue.errors,
    )


def step_counts(look: ServiceLook) -> LookCounts:
    """What green and blue served in the step so far."""
    step = look.state.step
    return LookCounts(
        green_requests=step.green_requests,
        green_errors=step.green_errors,
        blue_requests=step.blue_requests,
        blue_errors=step.blue_errors,
    )


def evidence(look: ServiceLook, weight: int, looks: Series) -> AnalysisResult:
    """The step so far as the status and the review show it: its counts, each judge against its
    bound, the last window's p99s, the verdict and the looks."""
    step, green, blue = step_counts(look), look.green, look.blue
    return AnalysisResult(
        service=look.service,
        weight=weight,
        passed=look.verdict is not Verdict.FAIL,
        green_error_rate=_rate(step.green_errors, step.green_requests),
        blue_error_rate=_rate(step.blue_errors, step.blue_requests),
        green_p99_ms=green.p99_ms or 0.0,
        blue_p99_ms=blue.p99_ms or 0.0,
        reasons=look.reasons,
        verdict=look.verdict.value,
        green_requests=step.green_requests,
        green_errors=step.green_errors,
        blue_requests=step.blue_requests,
        blue_errors=step.blue_errors,
        looks=looks,
        evidence=look.errors.e_value if look.errors else None,
        bound=look.errors.bound if look.errors else None,
        latency_evidence=look.latency.e_value if look.latency else None,
        latency_bound=look.latency.bound if look.latency else None,
        latency_threshold_ms=look.state.latency_threshold_ms,
        latency_counted=look.latency_counted,
        error_burn=_worst(look.error_burn),
        latency_burn=_worst(look.latency_burn),
    )


def failure(label: str, look: ServiceLook) -> str:
    """Why the migration stops, with the counts it rests on."""
    step = step_counts(look)
    counts = (
        f"this step: green {step.green_errors}/{step.green_requests} errors, "
        f"blue {step.blue_errors}/{step.blue_requests}"
    )
    return f"{label} failed for {look.service}: {'; '.join(look.reasons)} ({counts})"


def _worst(burn: Burn | None) -> float | None:
    """The larger of the 5- and 30-minute burn rates, where either can judge yet."""
    rates = [r for r in (burn.short, burn.long) if r is not None] if burn else []
    return max(rates) if rates else None


def _rate(errors: int, requests: int) -> float:
    return errors / requests if requests else 0.0
