"""Change freezes hold a migration at its next step boundary and let it go on by itself when they end;
abort still runs while it holds (real time-skipping server, real FreezeWorkflows)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cutover.cli.freeze_commands import set_freeze
from cutover.demo.seed import GREEN
from cutover.freezes.orders import FreezeOrder, Unfreeze, freeze_workflow_id
from cutover.freezes.windows import FreezesConfig
from cutover.models import Control, EventKind, Outcome, Phase
from cutover.workflows.freeze import FreezeWorkflow
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import migration


async def freeze(client: Client, queue: str, until: datetime | None, reason: str = "incident 4711") -> None:
    order = FreezeOrder(env=GREEN, reason=reason, until=until, by="alice")
    await set_freeze(client, order, queue, timeout=60)


def frozen_lines(status: object) -> list[str]:
    return [e.message for e in status.timeline if e.kind == EventKind.FROZEN]  # type: ignore[attr-defined]


async def test_a_freeze_with_an_end_holds_the_migration_until_it_ends(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = own_time_skipping_env
    async with migration(env, tmp_path) as h:
        until = (await env.get_current_time()) + timedelta(hours=3)
        await freeze(env.client, h.task_queue, until)
        held = await h.until(lambda s: s.frozen is not None)
        assert "incident 4711" in (held.frozen or "") and held.step.startswith("frozen: ")
        assert set(held.weights.values()) <= {0}, "no weight moves while frozen"
        assert held.open_gate is None, "no gate opens while frozen"
        assert any("held by a change freeze" in line for line in frozen_lines(held))
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    lines = frozen_lines(result)
    assert any("the change freeze is over" in line for line in lines), lines
    over = next(e.time for e in result.timeline if "the change freeze is over" in e.message)
    assert over >= until, "it went on only once the freeze had ended"


async def test_a_freeze_without_an_end_holds_until_lifted_and_abort_still_rolls_back(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = own_time_skipping_env
    async with migration(env, tmp_path) as h:
        await h.at_gate("uat")
        await freeze(env.client, h.task_queue, None, reason="release freeze")
        await h.approve("uat")
        held = await h.until(lambda s: s.frozen is not None)
        assert "release freeze" in (held.frozen or "")
        before = dict(held.weights)
        await env.sleep(timedelta(hours=2))  # rechecked every 15 minutes: still frozen
        still = await h.status()
        assert still.frozen is not None and still.weights == before
        await h.handle.signal(MigrationWorkflow.abort, Control(sender="bob", reason="give up"))
        result = await h.until(lambda s: s.phase == Phase.DONE)
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.phase == Phase.DONE


async def test_unfreeze_and_freeze_lifted_let_a_held_migration_go_on(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = own_time_skipping_env
    async with migration(env, tmp_path) as h:
        await freeze(env.client, h.task_queue, None)
        await h.until(lambda s: s.frozen is not None)
        handle = env.client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id(GREEN))
        await handle.execute_update(FreezeWorkflow.unfreeze_update, Unfreeze(by="carol", reason="closed"))
        await h.handle.signal(MigrationWorkflow.freeze_lifted)
        going = await h.until(lambda s: s.frozen is None)
        assert any("the change freeze is over" in line for line in frozen_lines(going))
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason


async def test_a_calendar_window_holds_the_migration_until_the_window_ends(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = own_time_skipping_env
    now = (await env.get_current_time()).astimezone(UTC)
    start, end = now - timedelta(minutes=5), now + timedelta(hours=2)
    window = {
        "envs": [GREEN],
        "start": start.strftime("%a %H:%M"),
        "end": end.strftime("%a %H:%M"),
        "reason": "weekend change freeze",
    }
    calendar = FreezesConfig.model_validate({"windows": [window]})
    async with migration(env, tmp_path, freezes=calendar) as h:
        held = await h.until(lambda s: s.frozen is not None)
        assert "weekend change freeze" in (held.frozen or "") and "(calendar)" in (held.frozen or "")
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    over = next(e.time for e in result.timeline if "the change freeze is over" in e.message)
    assert over >= end.replace(second=0, microsecond=0)
