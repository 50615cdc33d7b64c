"""`cutover freeze|unfreeze|freezes` against a real dev server, with a worker in this process: a freeze
is what freeze_state reports, freezing again changes it, unfreeze lifts it (and says when there is
nothing to lift), `cutover freezes` lists it; bad input is one line naming the option, before any
connection."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.worker import Worker

from cutover.activities.freeze_activities import FreezeActivities, FreezeStateRequest
from cutover.cli.main import cli
from cutover.freezes.windows import ActiveFreeze, FreezesConfig, shown_instant
from cutover.workflows.freeze import FreezeEnded, FreezeWorkflow, freeze_workflow_id

NO_SERVER = ["--address", "127.0.0.1:1"]  # bad input must be refused before any connection
LISTED_WITHIN = 60.0  # seconds: visibility lags the start a little; a slow machine, a lot


class Cutover:
    """`cutover` against the dev server and the test's task queue; remembers the envs it froze."""

    def __init__(self, client: Client, queue: str):
        self.client = client
        self.queue = queue
        self.activities = FreezeActivities(client, FreezesConfig())
        self.envs: list[str] = []

    def env(self) -> str:
        self.envs.append(f"env-{uuid.uuid4().hex[:8]}")
        return self.envs[-1]

    async def __call__(self, *args: str, queue: str | None = None) -> Result:
        address = self.client.service_client.config.target_host
        options = ["--address", address, "--task-queue", queue or self.queue]
        # In a thread: the command runs its own event loop while this one runs the worker.
        return await asyncio.to_thread(CliRunner().invoke, cli, [*args, *options])

    async def state(self, *envs: str) -> ActiveFreeze | None:
        return await self.activities.freeze_state(FreezeStateRequest(envs=list(envs)))

    async def lift_all(self) -> None:
        for env in self.envs:
            handle = self.client.get_workflow_handle(freeze_workflow_id(env))
            try:
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("test over")
            except RPCError:
                continue


@pytest.fixture
async def cutover(dev_client: Client) -> AsyncIterator[Cutover]:
    runner = Cutover(dev_client, f"freeze-{uuid.uuid4()}")
    async with Worker(dev_client, task_queue=runner.queue, workflows=[FreezeWorkflow]):
        try:
            yield runner
        finally:
            await runner.lift_all()


def ok(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


async def test_freeze_change_and_unfreeze(cutover: Cutover) -> None:
    env = cutover.env()
    before = datetime.now(UTC)
    froze = ok(
        await cutover("freeze", "--env", env, "--until", "2h", "--reason", "release train", "--as", "alice")
    )
    after = datetime.now(UTC)
    found = await cutover.state("staging", env)
    assert found is not None and found.until is not None
    assert (found.env, found.reason, found.source, found.by) == (env, "release train", "manual", "alice")
    assert before + timedelta(hours=2) <= found.until <= after + timedelta(hours=2)
    assert froze == [
        f"froze {env} until {shown_instant(found.until)}: release train (as alice)",
        f"migrations touching it hold at their next step boundary; lift it: cutover unfreeze --env {env}",
    ]

    # Again, with an end in another zone: the freeze is changed, not started twice.
    later = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    berlin = later.astimezone(ZoneInfo("Europe/Berlin")).isoformat()
    args = ["--until", berlin, "--reason", "release slipped", "--as", "bob"]
    changed = ok(await cutover("freeze", "--env", env, *args))
    assert changed == [
        f"{env} was frozen already; the freeze now holds until {shown_instant(later)}: "
        "release slipped (as bob)"
    ]
    now = ActiveFreeze(env=env, reason="release slipped", until=later, source="manual", by="bob")
    assert await cutover.state(env) == now
    handle = cutover.client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id(env))
    assert await handle.query(FreezeWorkflow.freeze) == now

    lifted = ok(await cutover("unfreeze", "--env", env, "--as", "carol", "--reason", "shipped"))
    assert lifted[0] == f"lifted the freeze of {env} (set by bob: release slipped) (as carol)"
    assert len(lifted) == 2 and lifted[1].endswith(
        "running migration(s) to look again; those it held go on at once"
    )
    assert await cutover.state(env) is None
    assert await handle.result() == FreezeEnded(
        freeze=now, ended="lifted", lifted_by="carol", lift_reason="shipped"
    )
    assert ok(await cutover("unfreeze", "--env", env)) == [f"{env} is not frozen"]
    assert ok(await cutover("unfreeze", "--env", cutover.env())) == [f"{cutover.envs[-1]} is not frozen"]


async def test_freezes_lists_the_freezes_set_by_hand(cutover: Cutover) -> None:
    timed, open_ended = cutover.env(), cutover.env()
    ok(
        await cutover(
            "freeze", "--env", timed, "--until", "3h", "--reason", "release\n  train", "--as", "alice"
        )
    )
    ok(await cutover("freeze", "--env", open_ended, "--reason", "incident 4711", "--as", "bob"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LISTED_WITHIN
    while True:
        listing = ok(await cutover("freezes"))
        rows = {line.split()[0]: line for line in listing if line.strip()}
        if {timed, open_ended} <= rows.keys():
            break
        assert loop.time() < deadline, f"not listed within {LISTED_WITHIN:g}s: {listing}"
        await asyncio.sleep(0.5)
    assert re.fullmatch(r"ENV +UNTIL +BY +REASON", listing[0]), listing
    assert re.fullmatch(rf"{timed} +\d{{4}}-\d\d-\d\d \d\d:\d\d UTC +alice +release train", rows[timed])
    assert re.fullmatch(rf"{open_ended} +until unfreeze +bob +incident 4711", rows[open_ended])
    # Each listed freeze is described: one lifted a moment ago is gone, however visibility lags.
    ok(await cutover("unfreeze", "--env", timed))
    rows = {line.split()[0]: line for line in ok(await cutover("freezes")) if line.strip()}
    assert timed not in rows and open_ended in rows


async def test_a_freeze_holds_with_no_worker_and_a_change_then_says_so(cutover: Cutover) -> None:
    env = cutover.env()
    nobody = f"nobody-{uuid.uuid4()}"
    ok(await cutover("freeze", "--env", env, "--reason", "no worker", "--as", "alice", queue=nobody))
    assert await cutover.state(env) == ActiveFreeze(env=env, reason="no worker", source="manual", by="alice")
    changed = await cutover("freeze", "--env", env, "--reason", "still none", "--timeout", "1", queue=nobody)
    assert changed.exit_code == 1
    assert changed.stderr.splitlines() == [
        f"error: {freeze_workflow_id(env)} has not answered within 1s; is a worker running on its task "
        f"queue? (the freeze holds meanwhile)"
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--until", "2020-01-01T00:00:00Z"],
            r"--until: 2020-01-01 00:00 UTC is not in the future \(now \d{4}-\d\d-\d\d \d\d:\d\d UTC\)",
        ),
        (["--until", "0s"], r"--until: .* UTC is not in the future \(now .*\)"),
        (
            ["--until", "2030-11-30T08:00"],
            r"--until: '2030-11-30T08:00' has no time zone; add one, as in 2030-11-30T08:00Z or "
            r"2030-11-30T08:00\+01:00",
        ),
        (
            ["--until", "tomorrow"],
            r"--until: 'tomorrow' is neither a time such as 2026-11-30T08:00\+01:00 \(or \.\.\.Z\) nor a "
            r"duration such as 2h or 30m",
        ),
        (["--until", "7200"], r"--until: '7200' is neither a time .*"),
        (["--until", "99999d"], r"--until: duration too long: at most 3650d"),
        (["--env", "prod eu"], r"--env: must not contain whitespace or control characters, found ' '"),
        (["--reason", " "], r"--reason: String should have at least 1 character"),
        (["--as", ""], r"--as: String should have at least 1 character"),
    ],
)
def test_bad_input_is_one_line_naming_the_option(args: list[str], error: str) -> None:
    defaults = {"--env": "prod", "--reason": "release", "--as": "alice"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    options = [part for name, value in (defaults | given).items() for part in (name, value)]
    result = CliRunner().invoke(cli, ["freeze", *options, *NO_SERVER])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and re.fullmatch(f"error: {error}", lines[0]), lines


def test_unfreeze_names_a_bad_env_before_any_connection() -> None:
    result = CliRunner().invoke(cli, ["unfreeze", "--env", "prod\teu", *NO_SERVER])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --env: must not contain whitespace or control characters, found '\\t'"
    ]
