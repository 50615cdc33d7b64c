"""The `cutover` console script."""

import click

from cutover.cli.control_commands import abort, approve, pause, reject, resume, start
from cutover.cli.demo_command import demo
from cutover.cli.plan_commands import plan_group
from cutover.cli.status_commands import report, status


@click.group()
@click.version_option(package_name="cutover")
def cli() -> None:
    """Durable, human-gated slow-injection blue-green migrations on Temporal."""


for command in (plan_group, start, status, approve, reject, pause, resume, abort, report, demo):
    cli.add_command(command)


def main() -> None:
    cli()
