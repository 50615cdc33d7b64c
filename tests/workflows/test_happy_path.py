from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cutover.models import Outcome, Phase
from tests.workflows.helpers import migration


async def test_happy_path_runs_all_six_phases(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    phases = [e.message.removeprefix("entered ") for e in result.timeline if e.kind == "phase"]
    assert phases == [
        p.value
        for p in (Phase.PREPARATION, Phase.NON_EXPOSED, Phase.PARALLEL, Phase.VALIDATION, Phase.FULL_CUTOVER)
    ]
    assert result.phase == Phase.DONE
    assert result.weights == {"checkout": 100, "catalog": 100}
    state = h.local.read()
    assert state["routes"] == {"shop/checkout": 100, "shop/catalog": 100}
    assert h.local.cron_enabled_in("billing", "nightly-invoices") == ["eks-fargate"]
    assert Path(result.report_path or "").read_text().startswith("# Post-release review")
