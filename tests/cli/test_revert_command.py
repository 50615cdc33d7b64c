"""`cutover revert` against a real migration on the time-skipping server: refused before cutover with
the migration's own line (exit 3, nothing changed), taken in the standby window, where it waits until
every exposed service is back at blue's weights and says how long that took."""

import asyncio
import re
from pathlib import Path

from click.testing import CliRunner, Result
from temporalio.testing import WorkflowEnvironment

from cutover.cli.main import cli
from cutover.models import Outcome
from tests.workflows.helpers import Harness, migration
from tests.workflows.support import drive


async def cutover(h: Harness, *args: str) -> Result:
    address = h.env.client.service_client.config.target_host
    # In a thread: the command runs its own event loop while this one runs the worker.
    return await asyncio.to_thread(CliRunner().invoke, cli, [*args, "--address", address])


async def test_refused_before_cutover_then_taken_in_the_standby_window(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        mig = h.handle.id
        await h.at_gate("uat")
        before = await h.status()
        early = await cutover(h, "revert", mig, "--reason", "too early", "--sender", "dave")
        blank = await cutover(h, "revert", mig, "--reason", "", "--as", "dave")
        assert (await h.status()).timeline == before.timeline, "a refused revert changed the migration"
        await drive(h, lambda s: s.step.startswith("intensive monitoring"))
        taken = await cutover(h, "revert", mig, "--reason", "p99 doubled", "--sender", "dave")
        routes = h.local.read()["routes"]
        result = await h.handle.result()
    assert early.exit_code == 3
    assert early.stderr.splitlines() == [
        "error: revert refused: not cut over yet: use abort (revert is for the standby window, from the "
        "100% step to the end of monitoring and the decommission gate)"
    ]
    assert blank.exit_code == 3
    assert blank.stderr.splitlines() == [
        "error: revert refused: reason: must say why (it goes into the timeline and the review)"
    ]
    assert taken.exit_code == 0, taken.output
    # The worker runs in this process: its log lines land in the captured output too.
    lines = [line for line in taken.stdout.splitlines() if line.startswith((mig, "  "))]
    assert lines[0] == (
        f"{mig}: reverting: every exposed service back to blue at once, then the rest rolled back (as dave)"
    )
    assert re.fullmatch(
        rf"{mig}: all 2 exposed service\(s\) back at blue's weights \d+\.\ds after the revert; the "
        rf"rest of the rollback: cutover status {mig}",
        lines[-1],
    ), lines
    assert any(line.startswith("  ") for line in lines[1:-1]), "no progress line"
    assert routes == {"shop/checkout": 0, "shop/catalog": 0}
    assert result.outcome == Outcome.ROLLED_BACK and result.outcome_reason == "reverted by dave: p99 doubled"
