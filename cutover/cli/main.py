"""The `cutover` console script."""

import os
import sys

import click

from cutover.cli.callback_command import callback
from cutover.cli.control_commands import abort, approve, pause, reject, resume, start
from cutover.cli.demo_command import demo
from cutover.cli.discover_command import discover
from cutover.cli.freeze_commands import freeze, freezes, unfreeze
from cutover.cli.list_command import list_migrations
from cutover.cli.local_commands import local_group
from cutover.cli.plan_commands import plan_group
from cutover.cli.rehearse_command import rehearse
from cutover.cli.revert_command import revert
from cutover.cli.schedule_commands import schedule_group
from cutover.cli.snapshot_command import snapshot
from cutover.cli.status_commands import report, status
from cutover.temporal.tracing import flush_traces


@click.group()
@click.version_option(package_name="cutover")
def cli() -> None:
    """Durable, human-gated slow-injection blue-green migrations on Temporal."""


COMMANDS = (
    plan_group,
    discover,
    start,
    status,
    list_migrations,
    approve,
    reject,
    pause,
    resume,
    abort,
    revert,
    freeze,
    unfreeze,
    freezes,
    callback,
    schedule_group,
    report,
    demo,
    local_group,
    rehearse,
    snapshot,
)
for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    """Run the CLI, then leave without interpreter finalisation.

    The Temporal SDK's native runtime threads can crash a finalising interpreter
    (PyGILState_Release), turning a successful command into exit code -6.
    """
    try:
        cli()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
    flush_traces()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
