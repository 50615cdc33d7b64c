"""`cutover rehearse PLAN`: the whole migration on Temporal's time-skipping test server, in seconds."""

import asyncio
import logging
import tempfile
from pathlib import Path

import click

from cutover.cli.errors import CliError, OperationFailed
from cutover.cli.plan_commands import read_plan
from cutover.durations import format_duration
from cutover.logs import configure_logging
from cutover.platform.local import InvalidLocalState, LocalEnvironment


@click.command("rehearse")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, exists=True),
    help="A state file to rehearse against (`cutover snapshot`, `cutover local init`); it is copied, "
    "never changed [default: one built from the plan, as `local init` does]",
)
@click.option(
    "--fail-at-step",
    type=int,
    metavar="WEIGHT",
    help="From the first traffic step at or above this weight (a percentage of green), green fails 8% "
    "of its requests: the analysis should roll it back",
)
@click.option(
    "--fail-check", metavar="NAME", help="This check of the plan fails (simulated) wherever it runs"
)
@click.option("--fail-cronjob", metavar="NAME", help="This CronJob's first run in green fails")
@click.option("--reject-at", metavar="GATE", help="Reject this gate instead of approving it")
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    help="Keep the rehearsal's environment copy, review and journal in this folder [default: a "
    "temporary folder, removed]",
)
def rehearse(
    plan_file: str,
    snapshot: str | None,
    fail_at_step: int | None,
    fail_check: str | None,
    fail_cronjob: str | None,
    reject_at: str | None,
    keep: str | None,
) -> None:
    """Rehearse PLAN: every phase, gate, check and rollback, against a simulated copy of the clusters.

    Gates are approved as they open (or rejected at --reject-at); checks that would reach real systems
    are simulated as passing; notifications are printed, never sent. Exit 0 when the migration ends as
    asked: succeeded, or rolled back where a failure was injected.
    """
    given = [
        flag
        for flag, value in (
            ("--fail-at-step", fail_at_step),
            ("--fail-check", fail_check),
            ("--fail-cronjob", fail_cronjob),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise CliError(f"{' and '.join(given)}: give at most one failure to inject")
    plan = read_plan(plan_file)
    # Here, not at the top: the worker, the activities and the test server, which no other command needs.
    from cutover.rehearsal.failures import UnknownName, injected
    from cutover.rehearsal.from_plan import state_from_plan
    from cutover.rehearsal.run import RehearsalError, outcome_line
    from cutover.rehearsal.run import rehearse as run_rehearsal
    from cutover.rehearsal.server import NoTestServer, find_test_server

    try:
        find_test_server()
    except NoTestServer as error:
        raise OperationFailed(str(error)) from None
    try:
        asked = injected(plan, fail_at_step, fail_cronjob, fail_check, reject_at)
    except UnknownName as error:
        raise CliError(str(error)) from None
    try:
        state = LocalEnvironment(Path(snapshot)).read() if snapshot else state_from_plan(plan)
    except InvalidLocalState as error:
        raise CliError(str(error)) from None
    echo = click.echo
    # The worker's logs: warnings and errors only (stderr); the timeline is what a rehearsal shows.
    configure_logging(json_output=True, level=logging.WARNING)
    against = f"a copy of {snapshot}" if snapshot else "a local environment built from the plan"
    echo(
        f"REHEARSAL of {plan.name} ({plan.source.name} -> {plan.target.name}) on Temporal's time-skipping "
        f"test server, against {against}"
    )
    echo(
        "Gates: approved as they open"
        + (f", rejected at {reject_at}" if reject_at else "")
        + "; checks: simulated, passing"
        + (f" but {fail_check}" if fail_check else "")
        + "; notifications: printed, not sent"
    )
    if plan.gates.verify == "signature":
        echo("gates.verify: signature is rehearsed as name: no one signs a decision in a rehearsal")
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="cutover-rehearsal-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        result = asyncio.run(run_rehearsal(plan, state, asked, folder, echo))
    except RehearsalError as error:
        raise CliError(str(error)) from None
    except KeyboardInterrupt:
        echo("\ninterrupted: the rehearsal's test server and worker are stopped")
        raise SystemExit(130) from None
    finally:
        if not keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    echo("")
    echo(result.review or "(no review was written)")
    for said in (result.aborted, result.stopped):
        if said:
            echo(f"rehearsal: {said}")
    sent = sum(len(v) for v in result.not_sent.values())
    if sent:
        echo(
            f"notifications: {sent} not sent ("
            + ", ".join(f"{n} to {d}" for d, n in sorted((d, len(v)) for d, v in result.not_sent.items()))
            + ")"
        )
    echo(
        f"rehearsed {format_duration(result.simulated)} of migration in {result.wall_seconds:.1f}s"
        + (f"; kept in {folder}" if keep else "")
    )
    echo(outcome_line(result))
    raise SystemExit(0 if result.as_asked else 1)
