"""Rollout waits for the plan's timeout; rollback retires green as the plan says, restores blue exactly."""

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.demo.seed import BLUE, GREEN
from cutover.models import Outcome
from tests.workflows.helpers import migration
from tests.workflows.support import assert_restored, no_gate_plan, signal, workloads


@pytest.mark.parametrize("service", ["email-worker", "catalog"])  # a child's copy, an exposed one
async def test_copy_that_never_rolls_out_fails_after_the_plan_timeout(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, service: str
) -> None:
    plan = no_gate_plan(rollout={"timeout": "3s"})
    async with migration(time_skipping_env, tmp_path, plan, {"never_ready": service}) as h:
        before = h.local.read()
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert f"{service} did not roll out in eks-fargate within 3s" in result.outcome_reason
    assert_restored(before, h.local.read())


async def test_rollback_can_keep_green_copies_at_zero(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = no_gate_plan(rollback={"green": "scale-to-zero"})
    async with migration(time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        await h.until(lambda s: s.step.startswith("bake side by side"))
        await signal(h, "abort", "carol", "keep the copies for a look")
        result = await h.handle.result()
    after = h.local.read()
    assert result.outcome == Outcome.ROLLED_BACK
    assert workloads(after)[BLUE] == workloads(before)[BLUE]
    green = after["clusters"][GREEN]
    for name in ("email-worker", "checkout", "catalog"):
        assert green[f"shop/deployment/{name}"]["replicas"] == 0, name
    for name in ("nightly-invoices", "ledger-export"):
        assert green[f"billing/cronjob/{name}"]["suspended"] is True, name
    assert h.local.cron_enabled_in("billing", "nightly-invoices") == [BLUE]


async def test_a_schedule_suspended_before_stays_suspended(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, no_gate_plan()) as h:
        h.local.update(lambda s: s["clusters"][BLUE]["billing/cronjob/ledger-export"].update(suspended=True))
        before = h.local.read()
        await h.until(lambda s: s.step.startswith("bake side by side"))
        await signal(h, "abort", "carol", "check the paused schedule")
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert "cronjob ledger-export was suspended in eks; copied suspended" in [
        e.message for e in result.timeline if e.kind == "migrated"
    ]
    assert h.local.cron_enabled_in("billing", "ledger-export") == []
    assert h.local.cron_enabled_in("billing", "nightly-invoices") == [BLUE]
    assert_restored(before, h.local.read())
