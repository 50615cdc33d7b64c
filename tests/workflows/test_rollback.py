"""Automatic rollbacks: a failed analysis, a failing first cron run, and an undo that gets stuck."""

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.analysis.burn_rate import SHORT_S
from cutover.models import Outcome, Phase
from tests.workflows.helpers import make_plan, migration
from tests.workflows.support import assert_restored, no_gate_plan, signal


@pytest.mark.parametrize("weight", [2, 25, 75, 100])
async def test_failed_analysis_at_each_step_rolls_back(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, weight: int
) -> None:
    failures: dict[str, object] = {"green_error_from_weight": weight}
    async with migration(time_skipping_env, tmp_path, no_gate_plan(), failures) as h:
        before = h.local.read()
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert f"bake at {weight}% failed for checkout" in result.outcome_reason
    # Below 100% the comparison with blue decides at the first look; at 100% there is no blue, and the
    # error budget's burn rate decides once its 5-minute window is full (the first look after it).
    judge = "error budget" if weight == 100 else "error rate is above"
    assert judge in result.outcome_reason and "errors, blue" in result.outcome_reason
    moved = next(
        e.time for e in result.timeline if e.kind == "weights" and e.message.endswith(f" {weight}% green")
    )
    stopped = next(e.time for e in result.timeline if e.kind == "phase" and "rolling-back" in e.message)
    bound = timedelta(seconds=SHORT_S) + (make_plan().analysis.interval if weight == 100 else timedelta(0))
    assert stopped - moved < bound, "the failure waited for the end of the 30-minute bake"
    reached = [
        int(e.message.split(": ")[1].removesuffix("% green")) for e in result.timeline if e.kind == "weights"
    ]
    assert max(reached) == weight, "traffic went past (or never reached) the failing step"
    failed = [a for a in result.analyses if not a.passed]
    assert {a.weight for a in failed} == {weight}
    assert all(a.passed for a in result.analyses if a.weight < weight)
    assert result.weights == {"checkout": 0, "catalog": 0}
    assert_restored(before, h.local.read())


@pytest.mark.parametrize("cron", ["nightly-invoices", "ledger-export"])
async def test_failing_first_cron_run_hands_the_schedule_back(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, cron: str
) -> None:
    async with migration(time_skipping_env, tmp_path, failures={"failing_cron": cron}) as h:
        before = h.local.read()
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert f"first run of cronjob {cron}" in result.outcome_reason
    entered = [e.message.removeprefix("entered ") for e in result.timeline if e.kind == "phase"]
    assert entered[-2:] == [Phase.NON_EXPOSED.value, Phase.ROLLING_BACK.value]
    after = h.local.read()
    assert h.local.cron_enabled_in("billing", cron) == [before["blue"]]
    assert [run["ok"] for run in after["cron_runs"] if run["cron"].endswith(cron)] == [False]
    assert_restored(before, after)


async def test_stuck_undo_waits_for_a_human_then_finishes(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, no_gate_plan()) as h:
        before = h.local.read()
        await h.until(lambda s: s.step.startswith("bake at 25%"))
        assert h.local.read()["routes"] == {"shop/checkout": 25, "shop/catalog": 25}
        h.local.update(lambda s: s["failures"].__setitem__("router_down", True))
        await signal(h, "abort", "carol", "bad deploy")
        stuck = await h.until(lambda s: bool(s.stuck_undo), step=timedelta(seconds=5), limit=60)
        assert "back to blue" in (stuck.stuck_undo or "")
        assert any(e.kind == "undo-stuck" for e in stuck.timeline)
        await time_skipping_env.sleep(timedelta(hours=3))
        waiting = await h.status()
        assert waiting.stuck_undo == stuck.stuck_undo
        assert waiting.phase == Phase.ROLLING_BACK and waiting.outcome == Outcome.RUNNING
        assert h.local.read()["routes"] == {"shop/checkout": 25, "shop/catalog": 25}
        h.local.update(lambda s: s["failures"].pop("router_down"))
        await signal(h, "resume", "carol", "router fixed")
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason == "aborted by carol: bad deploy"
    assert result.stuck_undo is None
    assert h.local.read()["routes"] == {"shop/checkout": 0, "shop/catalog": 0}
    assert_restored(before, h.local.read())
