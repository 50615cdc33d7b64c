"""The batched look activities over the local environment: counts in, decisions with evidence out.

look_at_counts is the analysis of 0.5 (it reads blue's baseline at a step's first look); look is
kept for migrations started on 0.4.
"""

from pathlib import Path

from temporalio.testing import ActivityEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.analysis import looks
from cutover.analysis.decision import State, StepAlpha
from cutover.analysis.verdict import Verdict
from cutover.demo.seed import BLUE, GREEN, seed
from cutover.models import WeightChange
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_reports import LocalReportStore
from tests.workflows.helpers import make_plan


def routed(tmp_path: Path) -> LocalEnvironment:
    """checkout at 25% green (failing: 8% errors from 25%), catalog at 2% (healthy)."""
    local = seed(tmp_path / "local.json", {"green_error_from_weight": 25})
    for service, weight in (("checkout", 25), ("catalog", 2)):
        change = WeightChange(
            service=service, namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=weight
        )
        local.set_green_percent(change)
    return local


def request(services: list[looks.Watched], final: bool = False) -> looks.LookRequest:
    limits = make_plan().analysis.decision_limits()
    return looks.LookRequest(
        services=services,
        blue_env=BLUE,
        green_env=GREEN,
        window_seconds=60,
        interval_seconds=60,
        limits=limits,
        final=final,
    )


async def test_a_failing_green_fails_within_a_few_looks_and_a_healthy_one_watches(tmp_path: Path) -> None:
    local = routed(tmp_path)
    activities = MigrationActivities(
        local, local, local, tmp_path / "reports", LocalReportStore(tmp_path / "reports")
    )
    limits = make_plan().analysis.decision_limits()
    first = State().next_step(StepAlpha(errors=0.005, latency=0.005), limits)
    watched = [looks.Watched(service=name, namespace="shop", state=first) for name in ("checkout", "catalog")]
    seen = await ActivityEnvironment().run(activities.look_at_counts, request(watched))
    checkout, catalog = seen
    assert checkout.verdict is Verdict.FAIL, "8% errors against 0.2% went unnoticed"
    assert checkout.green.requests == 1500
    assert checkout.errors is not None and checkout.errors.e_value >= checkout.errors.bound
    assert catalog.verdict is Verdict.WATCHING and catalog.green.requests == 120
    assert not catalog.state.baseline_due, "the step's first look did not read blue's baseline"
    assert catalog.state.latency_threshold_ms == catalog.blue.p99_ms, "slow is not counted against blue's p99"
    assert catalog.latency_counted and catalog.green.slow is not None
    carried = [looks.Watched(service="catalog", namespace="shop", state=catalog.state)]
    final = await ActivityEnvironment().run(activities.look_at_counts, request(carried, final=True))
    assert final[0].verdict is Verdict.INCONCLUSIVE, "240 green requests are below min_requests"
    assert final[0].state.step.green_requests == 240
    assert "analysis.min_requests" in final[0].reasons[0], "the reason does not name the field to change"
