"""A bake that ends without enough green traffic does what the plan says, never a silent pass; a
plan with bake_min lets a step with enough evidence end early.

The local environment serves 100 requests/s per service: at 2% a 30-minute bake sees 3,600 green
requests, so min_requests 4,000 leaves the 2% step inconclusive and every later step passes.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from cutover.models import MigrationStatus, Outcome, Phase
from tests.workflows.helpers import Harness, migration
from tests.workflows.support import no_gate_plan, signal

TOO_FEW = "green served 3600 requests this step, fewer than analysis.min_requests (4000)"


def starved(action: str, **analysis: Any) -> dict[str, Any]:
    return {"min_requests": 4000, "on_inconclusive": action, **analysis}


async def finished(h: Harness) -> MigrationStatus:
    """The end of the migration; a pause (which would wait for ever) fails the test instead."""
    status = await h.until(lambda s: s.phase == Phase.DONE or s.paused)
    assert not status.paused, f"paused: {status.timeline[-1].message}"
    return await h.handle.result()


def verdicts_at(status: MigrationStatus, weight: int) -> list[str | None]:
    return [a.verdict for a in status.analyses if a.weight == weight and a.service == "checkout"]


async def test_inconclusive_pauses_with_the_reason_until_a_human_resumes(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, no_gate_plan(analysis=starved("pause"))) as h:
        paused = await h.until(lambda s: s.paused)
        assert paused.weights == {"checkout": 2, "catalog": 2}, "paused anywhere but at the starved step"
        why = next(e.message for e in paused.timeline if e.kind == "paused")
        assert why.startswith("bake at 2% inconclusive") and TOO_FEW in why
        assert "`resume` goes on to the next step without a verdict" in why, "what resume does is not said"
        assert "traffic.bake" in why and "analysis.on_inconclusive" in why, "no field to change is named"
        assert verdicts_at(paused, 2) == ["inconclusive"]
        await h.env.sleep(timedelta(hours=2))
        assert (await h.status()).weights["checkout"] == 2, "moved on without a human"
        await signal(h, "resume", "carol")
        result = await h.handle.result()
    assert result.outcome == Outcome.SUCCEEDED
    assert verdicts_at(result, 25) == ["pass"]


async def test_inconclusive_rolls_back_when_the_plan_says_so(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, no_gate_plan(analysis=starved("rollback"))) as h:
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason.startswith("bake at 2% inconclusive") and TOO_FEW in result.outcome_reason
    assert result.weights == {"checkout": 0, "catalog": 0}


async def test_inconclusive_extends_the_bake_once_then_decides(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, no_gate_plan(analysis=starved("extend"))) as h:
        result = await finished(h)
    assert result.outcome == Outcome.SUCCEEDED
    assert verdicts_at(result, 2) == ["inconclusive", "pass"], "the extended bake did not decide"
    passed = next(
        a for a in result.analyses if a.weight == 2 and a.verdict == "pass" and a.service == "checkout"
    )
    assert passed.green_requests == 7200, "the extension did not add to the step's evidence"


async def test_bake_min_ends_a_step_once_every_service_has_enough_traffic(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """At 2% a service sees 120 green requests a minute: 1,000 after 9 looks, so the step ends at
    9 minutes instead of 30; without bake_min the same plan bakes the whole 30 minutes."""
    analysis = {"bake_min": "5m"}
    async with migration(time_skipping_env, tmp_path, no_gate_plan(analysis=analysis)) as h:
        result = await finished(h)
    assert result.outcome == Outcome.SUCCEEDED
    moved = {
        int(e.message.split(": ")[1].removesuffix("% green")): e.time
        for e in result.timeline
        if e.kind == "weights" and e.message.startswith("checkout")
    }
    assert moved[25] - moved[2] < timedelta(minutes=12), "the 2% step baked on after it had passed"
    assert moved[25] - moved[2] >= timedelta(minutes=9), "the 2% step ended before 1,000 green requests"
    first = next(a for a in result.analyses if a.weight == 2 and a.service == "checkout")
    assert first.verdict == "pass" and first.green_requests is not None and first.green_requests >= 1000
