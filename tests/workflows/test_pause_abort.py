"""Pause holds a migration still; abort in any phase puts the environment back as it was.

An abort that lands inside an activity or child workflow is tested on the dev server
(tests/integration/test_abort_in_flight.py): the time-skipping server cannot cancel a child reliably.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.models import Control, MigrationStatus, Outcome, Phase
from tests.workflows.helpers import Harness, migration
from tests.workflows.support import assert_restored, decide, drive, signal

FROZEN_FOR = timedelta(hours=6)


def _frozen_view(h: Harness, status: MigrationStatus) -> tuple[object, ...]:
    """Everything that must not move while paused."""
    state = h.local.read()
    return (
        status.phase,
        status.step,
        dict(status.weights),
        len(status.analyses),
        state["routes"],
        len(state["operations"]),
        [e for e in status.timeline if e.kind != "paused"],
    )


async def test_pause_holds_until_resume(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await drive(h, lambda s: s.step.startswith("bake at 2%"))
        await signal(h, "pause", "carol", "investigating a page")
        paused = await h.until(lambda s: s.step.startswith("paused"))
        assert paused.paused and "bake at 2%" in paused.step
        assert paused.weights == {"checkout": 2, "catalog": 2}
        frozen = _frozen_view(h, paused)
        await time_skipping_env.sleep(FROZEN_FOR)
        still = await h.status()
        assert still.paused and _frozen_view(h, still) == frozen
        await signal(h, "resume", "carol")
        resumed = await h.until(lambda s: not s.step.startswith("paused"), step=timedelta(seconds=1))
        assert not resumed.paused
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    actors = {(e.kind, e.actor) for e in result.timeline}
    assert {("paused", "carol"), ("resumed", "carol")} <= actors


async def test_pause_at_a_gate_holds_after_the_approval(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """An approval while paused is recorded, but traffic must not move until resume."""
    async with migration(time_skipping_env, tmp_path) as h:
        await drive(h, lambda s: s.open_gate is not None and s.open_gate.name == "traffic-25")
        await signal(h, "pause", "carol")
        await decide(h, "approve", "traffic-25", "alice")
        approved = await h.until(lambda s: s.open_gate is None, step=timedelta(seconds=1))
        await time_skipping_env.sleep(FROZEN_FOR)
        still = await h.status()
        assert still.paused and still.step.startswith("paused"), still.step
        assert still.weights == {"checkout": 25, "catalog": 25}
        assert h.local.read()["routes"] == {"shop/checkout": 25, "shop/catalog": 25}
        assert len(still.timeline) == len(approved.timeline)
        await signal(h, "resume", "carol")
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason


def _at(stop: Callable[[MigrationStatus], bool]) -> Callable[[Harness], Awaitable[None]]:
    async def reach_and_abort(h: Harness) -> None:
        await drive(h, stop)
        await signal(h, "abort", "carol", "stop now")

    return reach_and_abort


def _gate(name: str) -> Callable[[MigrationStatus], bool]:
    return lambda s: s.open_gate is not None and s.open_gate.name == name


ABORTS: dict[str, tuple[Phase, Callable[[Harness], Awaitable[None]] | None]] = {
    "preparation": (Phase.PREPARATION, None),
    "parallel-bake": (Phase.PARALLEL, _at(lambda s: s.step.startswith("bake side by side"))),
    "validation-gate": (Phase.VALIDATION, _at(_gate("uat"))),
    "validation-bake": (Phase.VALIDATION, _at(lambda s: s.step.startswith("bake at 25%"))),
    "full-cutover-gate": (Phase.FULL_CUTOVER, _at(_gate("full-cutover"))),
    "full-cutover-monitoring": (Phase.FULL_CUTOVER, _at(lambda s: s.step.startswith("intensive monitoring"))),
}


@pytest.mark.parametrize("case", list(ABORTS))
async def test_abort_restores_the_environment(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, case: str
) -> None:
    phase, reach_and_abort = ABORTS[case]
    # Preparation has no wait to catch: the abort travels with the start and lands at its end.
    start_signal = ("abort", Control(sender="carol", reason="stop now")) if reach_and_abort is None else None
    async with migration(time_skipping_env, tmp_path, start_signal=start_signal) as h:
        before = h.local.read()
        if reach_and_abort is not None:
            await reach_and_abort(h)
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason == "aborted by carol: stop now"
    entered = [e.message.removeprefix("entered ") for e in result.timeline if e.kind == "phase"]
    assert entered[-2:] == [phase.value, Phase.ROLLING_BACK.value], "the abort landed in another phase"
    assert all(weight == 0 for weight in result.weights.values())
    assert_restored(before, h.local.read())
