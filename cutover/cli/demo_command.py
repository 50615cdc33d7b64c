"""`cutover demo`: run a migration on the local environment behind a moto ALB, with a fresh dev server."""

import asyncio
import signal
import sys
import time
from pathlib import Path

import click

from cutover.cli.errors import CliError, OperationFailed
from cutover.demo.data_lock import holding_data_dir
from cutover.demo.local_servers import ServerStartError
from cutover.models import MigrationStatus


@click.command("demo")
@click.option("--auto-approve", is_flag=True, help="Approve every gate and run to the end unattended")
@click.option(
    "--fail-at-step",
    type=int,
    metavar="WEIGHT",
    help="A traffic weight (1..75, a percentage of green, not a step number): from the first step at or "
    "above it, green fails twice blue's 1% of requests, and the demo rolls back (25: at the 25% step)",
)
@click.option("--fail-cronjob", help="Make the first green run of this CronJob fail (e.g. nightly-invoices)")
@click.option(
    "--fail-check",
    metavar="NAME",
    help="Break green where this check of the demo plan looks (load-comparison, orders-in-sync, e2e): "
    "it fails and the demo rolls back with its evidence",
)
@click.option("--data-dir", type=click.Path(file_okay=False), default=".cutover/demo", show_default=True)
@click.option("--port", default=7233, show_default=True, help="Temporal frontend port")
@click.option("--ui-port", default=8233, show_default=True, help="Temporal Web UI port")
@click.option(
    "--keep-servers/--no-keep-servers",
    default=None,
    help="After the migration, keep the servers up until Ctrl-C (the Web UI, status and the review stay "
    "readable) [default: when run from a terminal]",
)
def demo(
    auto_approve: bool,
    fail_at_step: int | None,
    fail_cronjob: str | None,
    fail_check: str | None,
    data_dir: str,
    port: int,
    ui_port: int,
    keep_servers: bool | None,
) -> None:
    """Start a dev server, a moto server and a worker, run a demo migration and follow it."""
    # Here, not at the top: the demo loads boto3 and moto, which no other command needs.
    from cutover.demo.run import DemoOptions, demo_plan, exit_code, print_line, run_demo
    from cutover.demo.shop_services import FAILABLE_CHECKS
    from cutover.rehearsal.failures import UnknownName, injected

    try:
        failures = injected(demo_plan(), fail_at_step, fail_cronjob).failures
    except UnknownName as error:
        raise CliError(str(error)) from None
    if fail_check is not None and fail_check not in FAILABLE_CHECKS:
        raise CliError(f"--fail-check: {fail_check!r} is not a check of the demo plan: {FAILABLE_CHECKS}")
    keep = sys.stdin.isatty() if keep_servers is None else keep_servers
    options = DemoOptions(Path(data_dir).resolve(), port, ui_port, auto_approve, failures, fail_check, keep)
    started = time.monotonic()
    ended: list[MigrationStatus] = []

    def on_done(status: MigrationStatus) -> None:
        ended.append(status)
        click.echo(
            f"outcome: {status.outcome.value}"
            + (f" — {status.outcome_reason}" if status.outcome_reason else "")
        )
        click.echo(f"post-release review: {status.report_path}")
        click.echo(f"demo wall time: {time.monotonic() - started:.1f}s")

    # A SIGTERM (kill, a CI timeout) must clean up like Ctrl-C: the servers run in their own sessions.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with holding_data_dir(options.data_dir):
            asyncio.run(run_demo(options, print_line, on_done))
    except ServerStartError as error:
        raise OperationFailed(str(error)) from None
    except KeyboardInterrupt:
        stopped = "stopped the worker, the moto server and the dev server; state kept in " + data_dir
        if ended:  # Ctrl-C while the servers were kept up after the migration: its outcome stands
            click.echo("\n" + stopped)
            raise SystemExit(exit_code(ended[0])) from None
        click.echo("\ninterrupted: " + stopped)
        raise SystemExit(130) from None
    raise SystemExit(exit_code(ended[0]))
