"""Non-exposed services: batches honour the plan, and a CronJob never runs in two places at once."""

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.models import MigrationStatus, Outcome
from cutover.platform.local import cron_snapshots
from tests.workflows.helpers import migration
from tests.workflows.support import assert_cron_never_in_two_envs, assert_restored, no_gate_plan, signal

NON_EXPOSED = ["nightly-invoices", "ledger-export", "email-worker"]


def _batches(status: MigrationStatus) -> list[list[str]]:
    """'batch 1/2: a, b' events as lists of service names."""
    return [e.message.split(": ", 1)[1].split(", ") for e in status.timeline if e.kind == "batch"]


@pytest.mark.parametrize("size", [1, 2])
async def test_batch_size_is_respected(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, size: int
) -> None:
    plan = no_gate_plan(non_exposed={"batch_size": size, "parallelism": size})
    async with migration(time_skipping_env, tmp_path, plan) as h:
        result = await h.handle.result()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    batches = _batches(result)
    assert batches and all(1 <= len(b) <= size for b in batches), batches
    assert len(batches) == -(-len(NON_EXPOSED) // size), "batches were not filled up to the limit"
    assert sorted(s for b in batches for s in b) == sorted(NON_EXPOSED)
    migrated = [e.message for e in result.timeline if e.kind == "migrated"]
    assert len(migrated) == len(NON_EXPOSED)


@pytest.mark.parametrize("ending", ["happy", "abort", "analysis-fails"])
async def test_cron_is_never_enabled_in_two_envs(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, ending: str
) -> None:
    failures: dict[str, object] = {"green_error_from_weight": 75} if ending == "analysis-fails" else {}
    async with migration(time_skipping_env, tmp_path, no_gate_plan(), failures) as h:
        before = h.local.read()
        if ending == "abort":
            await h.until(lambda s: s.step.startswith("bake side by side"))
            await signal(h, "abort", "carol", "changed my mind")
        result = await h.handle.result()
    after = h.local.read()
    assert_cron_never_in_two_envs(after)
    blue, green = after["blue"], next(e for e in after["clusters"] if e != after["blue"])
    crons = {"billing/cronjob/nightly-invoices", "billing/cronjob/ledger-export"}
    seen = {env for snapshot in cron_snapshots(after) for c in crons for env in snapshot.get(c, [])}
    assert seen == {blue, green}, "the schedule never moved to green, so nothing was proven"
    if ending == "happy":
        assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
        assert cron_snapshots(after)[-1] == {c: [green] for c in crons}
    else:
        assert result.outcome == Outcome.ROLLED_BACK
        assert cron_snapshots(after)[-1] == {c: [blue] for c in crons}
        assert_restored(before, after)
