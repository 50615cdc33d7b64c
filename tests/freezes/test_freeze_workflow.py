"""The FreezeWorkflow and the freeze_state activity on the time-skipping server: a freeze holds until its
`until` passes (then the workflow completes and nothing is frozen), an extend moves that end, a bad
extend is refused with why, a running freeze is frozen even before any worker ran it, manual freezes
come before the calendar's, and freeze_state runs as a local activity."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

# The local-activity workflow below is defined here, so the sandbox imports this module: what it
# imports is passed through, as the real workflows' imports are.
with workflow.unsafe.imports_passed_through():
    from cutover.activities.freeze_activities import FreezeActivities, FreezeStateRequest
    from cutover.cli.freeze_commands import set_freeze
    from cutover.freezes.windows import ActiveFreeze, FreezesConfig
    from cutover.workflows.freeze import (
        FreezeEnded,
        FreezeOrder,
        FreezeWorkflow,
        Unfreeze,
        freeze_workflow_id,
    )


@workflow.defn(name="AsksFreezeState")
class AsksFreezeState:
    """What a migration will do at a step boundary: ask as a local activity."""

    @workflow.run
    async def run(self, request: FreezeStateRequest) -> ActiveFreeze | None:
        return await workflow.execute_local_activity_method(
            FreezeActivities.freeze_state, request, start_to_close_timeout=timedelta(seconds=30)
        )


@dataclass
class Freezes:
    client: Client
    queue: str
    activities: FreezeActivities

    async def start(self, order: FreezeOrder) -> None:
        """As `cutover freeze` starts it (its memo set at once)."""
        assert await set_freeze(self.client, order, self.queue, timeout=60) == (order.active(), False)

    async def state(self, *envs: str) -> ActiveFreeze | None:
        return await self.activities.freeze_state(FreezeStateRequest(envs=list(envs)))


def unique_env() -> str:
    return f"env-{uuid.uuid4().hex[:8]}"


async def worker_for(client: Client, config: FreezesConfig | None = None) -> AsyncIterator[Freezes]:
    queue = f"freeze-{uuid.uuid4()}"
    activities = FreezeActivities(client, config or FreezesConfig())
    async with Worker(
        client,
        task_queue=queue,
        workflows=[FreezeWorkflow, AsksFreezeState],
        activities=[activities.freeze_state],
    ):
        yield Freezes(client, queue, activities)


@pytest.fixture
async def own(own_time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Freezes]:
    """On a server of its own: the test skips time, and a freeze of every environment stays its own."""
    async for freezes in worker_for(own_time_skipping_env.client):
        yield freezes


@pytest.fixture
async def shared(own_time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Freezes]:
    """Also on a server of its own: a freeze left running must not hold the migrations of other tests."""
    async for freezes in worker_for(own_time_skipping_env.client):
        yield freezes


async def test_the_freeze_ends_at_until_and_then_nothing_is_frozen(
    own_time_skipping_env: WorkflowEnvironment, own: Freezes
) -> None:
    env = unique_env()
    now = datetime.now(UTC)
    order = FreezeOrder(env=env, reason="release train", until=now + timedelta(hours=3), by="alice")
    await own.start(order)
    assert await own.state("other", env) == ActiveFreeze(
        env=env, reason="release train", until=order.until, source="manual", by="alice"
    )
    handle = own.client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id(env))
    assert await handle.query(FreezeWorkflow.freeze) == order.active()
    await own_time_skipping_env.sleep(timedelta(hours=2, minutes=59))
    assert await own.state(env) == order.active()
    # A handle got by id does not skip time while it waits for the result: the server is told to.
    await own_time_skipping_env.sleep(timedelta(minutes=2))
    ended = await handle.result()
    assert ended == FreezeEnded(freeze=order.active(), ended="expired")
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert await own.state(env) is None


async def test_an_extend_moves_the_end(own_time_skipping_env: WorkflowEnvironment, own: Freezes) -> None:
    env = unique_env()
    start = datetime.now(UTC)
    await own.start(FreezeOrder(env=env, reason="release", until=start + timedelta(hours=1), by="alice"))
    handle = own.client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id(env))
    later = FreezeOrder(env=env, reason="release slipped", until=start + timedelta(hours=5), by="bob")
    assert await handle.execute_update(FreezeWorkflow.extend, args=[later]) == later.active()
    await own_time_skipping_env.sleep(timedelta(hours=2))
    assert await own.state(env) == later.active()  # the first end has passed; the new one holds
    await own_time_skipping_env.sleep(timedelta(hours=3, minutes=1))
    ended = await handle.result()
    assert ended.ended == "expired" and ended.freeze == later.active()
    assert await own.state(env) is None


async def test_a_freeze_without_an_end_holds_until_lifted(
    own_time_skipping_env: WorkflowEnvironment, own: Freezes
) -> None:
    env = unique_env()
    await own.start(FreezeOrder(env=env, reason="incident 4711", by="alice"))
    await own_time_skipping_env.sleep(timedelta(days=30))
    assert await own.state(env) == ActiveFreeze(
        env=env, reason="incident 4711", until=None, source="manual", by="alice"
    )
    handle = own.client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id(env))
    lifted = await handle.execute_update(FreezeWorkflow.unfreeze_update, args=[Unfreeze(by="carol")])
    assert lifted.reason == "incident 4711"
    ended = await handle.result()
    assert (ended.ended, ended.lifted_by) == ("lifted", "carol")
    assert await own.state(env) is None


async def test_a_bad_extend_is_refused_with_why(shared: Freezes) -> None:
    env = unique_env()
    await shared.start(FreezeOrder(env=env, reason="release", by="alice"))
    handle = shared.client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id(env))
    past = datetime(2020, 1, 1, tzinfo=UTC)

    async def refusal(sent: object) -> str:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("extend", sent)
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError)
        return cause.message

    try:
        assert (
            await refusal({"env": env, "reason": "x", "until": past.isoformat(), "by": "bob"})
        ).startswith("extend refused: until 2020-01-01 00:00 UTC is not in the future (now ")
        other = await refusal({"env": "elsewhere", "reason": "x", "by": "bob"})
        assert other == f"extend refused: this is the freeze of {env}, not of elsewhere"
        assert (await refusal({"env": env, "by": "bob"})).startswith("extend refused: reason: missing")
        assert await handle.query(FreezeWorkflow.freeze) == ActiveFreeze(
            env=env, reason="release", source="manual", by="alice"
        )
    finally:
        await handle.terminate("test over")


async def test_a_bad_start_freezes_nothing(shared: Freezes) -> None:
    env = unique_env()
    for sent, workflow_id, why in [
        ({"env": env, "by": "alice"}, freeze_workflow_id(env), "bad FreezeOrder: reason: missing"),
        (
            {"env": env, "reason": "x", "by": "alice"},
            f"not-a-freeze-{env}",
            f"a freeze of {env} runs as {freeze_workflow_id(env)}, not not-a-freeze-{env}",
        ),
    ]:
        handle = await shared.client.start_workflow(
            "FreezeWorkflow", sent, id=workflow_id, task_queue=shared.queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        assert isinstance(failed.value.cause, ApplicationError)
        assert failed.value.cause.message.startswith(why)
        assert await shared.state(env) is None


async def test_running_is_frozen_before_any_worker_ran_it(shared: Freezes) -> None:
    """Started from the Web UI with no memo and no worker on its queue: frozen all the same."""
    env = unique_env()
    order = {"env": env, "reason": "x", "by": "alice"}
    handle = await shared.client.start_workflow(
        "FreezeWorkflow", order, id=freeze_workflow_id(env), task_queue=f"nobody-{uuid.uuid4()}"
    )
    try:
        found = await shared.state(env)
        assert found is not None and (found.env, found.source, found.until) == (env, "manual", None)
        assert found.reason.startswith("frozen by hand (its reason is not recorded yet")
    finally:
        await handle.terminate("test over")


async def test_manual_before_calendar_and_a_freeze_of_every_environment(own: Freezes) -> None:
    now = datetime.now(UTC)
    always = FreezesConfig.model_validate(
        {"windows": [{"envs": ["*"], "start": "Mon 00:00", "end": "Sun 23:59", "reason": "cal"}]}
    )
    env, other = unique_env(), unique_env()
    # The calendar, at a clock where its window holds.
    monday = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    calendar = FreezeActivities(own.client, always, clock=lambda: monday)
    by_calendar = await calendar.freeze_state(FreezeStateRequest(envs=[env, other]))
    assert by_calendar is not None and (by_calendar.env, by_calendar.source) == (env, "calendar")
    # A manual freeze of the second env comes first.
    await own.start(FreezeOrder(env=other, reason="by hand", until=now + timedelta(hours=1), by="alice"))
    found = await calendar.freeze_state(FreezeStateRequest(envs=[env, other]))
    assert found is not None and (found.env, found.source, found.by) == (other, "manual", "alice")
    # A freeze of every environment holds any of them.
    await own.start(FreezeOrder(env="*", reason="incident", by="bob"))
    everything = await own.state(unique_env())
    assert everything is not None and (everything.env, everything.by) == ("*", "bob")
    lift = own.client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id("*"))
    await lift.execute_update(FreezeWorkflow.unfreeze_update, args=[Unfreeze(by="bob")])
    await lift.result()
    assert await own.state(unique_env()) is None


async def test_freeze_state_as_a_local_activity(
    own_time_skipping_env: WorkflowEnvironment, shared: Freezes
) -> None:
    env = unique_env()
    order = FreezeOrder(env=env, reason="release", by="alice")
    await shared.start(order)

    async def ask(*envs: str) -> ActiveFreeze | None:
        return await shared.client.execute_workflow(
            AsksFreezeState.run,
            FreezeStateRequest(envs=list(envs)),
            id=f"asks-{uuid.uuid4()}",
            task_queue=shared.queue,
        )

    # Waiting for a result skips time to the next timer; the test server gives the freeze a 10-year run
    # timeout (a real server gives none), which would end it here.
    with own_time_skipping_env.auto_time_skipping_disabled():
        try:
            assert await ask(unique_env(), env) == order.active()
            assert await ask(unique_env()) is None
        finally:
            await shared.client.get_workflow_handle(freeze_workflow_id(env)).terminate("test over")
