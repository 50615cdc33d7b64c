"""The estimate against real migrations: the local environment serves exactly 100 requests/s per
service (blue and green together), so a plan expecting 100 req/s must see, step by step and look by
look, the green requests the estimate predicts, and end each step as it predicts: a pass where it
reaches min_requests, inconclusive where it does not (here: rolled back)."""

from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.models import AnalysisResult, MigrationStatus, Outcome
from cutover.plan.model import Plan, may_be_exposed
from cutover.plan.traffic_estimate import StepEstimate, check_traffic
from cutover.platform.local import LOCAL_REQUESTS_PER_SECOND
from tests.workflows.helpers import migration
from tests.workflows.support import no_gate_plan

# An inconclusive step rolls back rather than pauses: a run that goes other than predicted ends
# and fails the test instead of waiting for a resume that never comes.
ANALYSIS = {"on_inconclusive": "rollback", "expected_rps": LOCAL_REQUESTS_PER_SECOND}
PLANS: dict[str, dict[str, Any]] = {
    # 2%: looks of 1m and 30s (120 + 60 green requests), 50%: 3,000 + 1,500; 100% likewise; then a
    # 0s monitoring window that looks once, a whole interval later: 6,000
    "bakes that are not whole intervals": {
        "traffic": {"steps": [2, 50, 100], "bake": "90s"},
        "monitoring": {"window": "0s"},
        "analysis": {**ANALYSIS, "interval": "1m", "min_requests": 150},
    },
    # 2%: one look after 2s, 4 green requests: inconclusive
    "a 2s bake": {"traffic": {"steps": [2, 100], "bake": "2s"}, "analysis": ANALYSIS},
}


def looked(estimate: StepEstimate) -> list[int]:
    """Green's requests in each look the estimate expects, as the local environment counts them."""
    looks = estimate.step.looks
    windows = [looks.every] * (looks.count - 1) + [looks.last]
    share = estimate.traffic.rps * estimate.step.weight / 100
    return [round(share * window.total_seconds()) for window in windows]


def decided(status: MigrationStatus, service: str) -> list[AnalysisResult]:
    """The service's decision per analysed step, in order (the 100% step and monitoring alike)."""
    return [a for a in status.analyses if a.service == service]


@pytest.mark.parametrize("overrides", PLANS.values(), ids=PLANS.keys())
async def test_runs_see_the_traffic_the_estimate_predicts(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, overrides: dict[str, Any]
) -> None:
    plan: Plan = no_gate_plan(**overrides)
    async with migration(time_skipping_env, tmp_path, plan=plan) as h:
        result: MigrationStatus = await h.handle.result()
    estimates = check_traffic(plan, [s for s in plan.services if may_be_exposed(s)]).estimates
    ran = decided(result, "catalog")
    assert ran, "no step was analysed"
    for estimate, analysis in zip(estimates, ran, strict=False):
        assert analysis.looks is not None and analysis.weight == estimate.step.weight
        assert [p.green_requests for p in analysis.looks.points] == looked(estimate), estimate.step.name
        assert analysis.green_requests == round(estimate.per_bake), estimate.step.name
        assert analysis.verdict == ("pass" if estimate.reaches_min_requests else "inconclusive")
    if all(e.reaches_min_requests for e in estimates):
        assert result.outcome == Outcome.SUCCEEDED and len(ran) == len(estimates)
    else:
        first_short = next(e for e in estimates if not e.reaches_min_requests)
        assert result.outcome == Outcome.ROLLED_BACK
        assert result.outcome_reason.startswith(f"bake at {first_short.step.weight}% inconclusive")
        assert f"green served {round(first_short.per_bake)} requests" in result.outcome_reason
