"""Continuous analysis in the workflow: what one look asks and what its answer means.

The loop itself (a timer, then the batched `look` activity) is MigrationWorkflow._watch; this
module turns looks into the status's evidence and the reasons a step stops.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.analysis.decision import Verdict
    from cutover.analysis.looks import ServiceLook
    from cutover.models import AnalysisResult


def evidence(look: ServiceLook, weight: int, alpha: float) -> AnalysisResult:
    """One look as the status and the review show it."""
    green, blue = look.green, look.blue
    return AnalysisResult(
        service=look.service,
        weight=weight,
        passed=look.verdict is not Verdict.FAIL,
        green_error_rate=green.errors / green.requests if green.requests else 0.0,
        blue_error_rate=blue.errors / blue.requests if blue.requests else 0.0,
        green_p99_ms=green.p99_ms or 0.0,
        blue_p99_ms=blue.p99_ms or 0.0,
        reasons=look.reasons,
        verdict=look.verdict.value,
        green_requests=green.requests,
        green_errors=green.errors,
        blue_requests=blue.requests,
        blue_errors=blue.errors,
        evidence=look.comparison_e,
        bound=2 / alpha,
    )


def failure(label: str, look: ServiceLook) -> str:
    """Why the migration stops, with the counts it rests on."""
    green, blue = look.green, look.blue
    counts = f"green {green.errors}/{green.requests} errors, blue {blue.errors}/{blue.requests}"
    return f"{label} failed for {look.service}: {'; '.join(look.reasons)} ({counts})"
