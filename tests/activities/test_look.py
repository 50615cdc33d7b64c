"""The batched `look` activity over the local environment: counts in, decisions with evidence out."""

from pathlib import Path

from temporalio.testing import ActivityEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.analysis.decision import State, StepAlpha, Verdict
from cutover.analysis.looks import LookRequest, Watched
from cutover.demo.seed import BLUE, GREEN, seed
from cutover.models import WeightChange
from tests.workflows.helpers import make_plan


def request(services: list[Watched], final: bool = False) -> LookRequest:
    limits = make_plan().analysis.decision_limits()
    return LookRequest(
        services=services, blue_env=BLUE, green_env=GREEN, window_seconds=60, limits=limits, final=final
    )


async def test_a_failing_green_fails_within_a_few_looks_and_a_healthy_one_watches(tmp_path: Path) -> None:
    local = seed(tmp_path / "local.json", {"green_error_from_weight": 25})
    for service in ("checkout", "catalog"):
        weight = 25 if service == "checkout" else 2
        change = WeightChange(
            service=service, namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=weight
        )
        local.set_green_percent(change)
    activities = MigrationActivities(local, local, local, tmp_path / "reports")
    first = State.start().next_step(StepAlpha(comparison=0.005, absolute=0.005))
    watched = [Watched(service=name, namespace="shop", state=first) for name in ("checkout", "catalog")]
    looks = await ActivityEnvironment().run(activities.look, request(watched))
    checkout, catalog = looks
    assert checkout.verdict is Verdict.FAIL, "8% errors against 0.2% went unnoticed"
    assert checkout.green.requests == 1500
    assert checkout.comparison is not None and checkout.comparison.e_value >= 1 / 0.005
    assert catalog.verdict is Verdict.WATCHING and catalog.green.requests == 120
    carried = [Watched(service="catalog", namespace="shop", state=catalog.state)]
    final = await ActivityEnvironment().run(activities.look, request(carried, final=True))
    assert final[0].verdict is Verdict.INCONCLUSIVE, "240 green requests are below min_requests"
    assert final[0].state.step_green_requests == 240
