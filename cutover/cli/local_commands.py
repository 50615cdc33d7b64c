"""`cutover local init PLAN`: a local environment for your own plan, to run or rehearse it against."""

from pathlib import Path

import click

from cutover.cli.errors import CliError, OperationFailed
from cutover.cli.plan_commands import read_plan
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_state import VERSION
from cutover.rehearsal.from_plan import discovered_as_exposed, state_from_plan
from cutover.temporal.settings import local_state_path


@click.group("local")
def local_group() -> None:
    """The local environment: simulated clusters in one state file (README: The local environment)."""


@local_group.command("init")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="The state file to write [default: $CUTOVER_LOCAL_STATE, else .cutover/local-env.json]",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists")
def init(plan_file: str, out: str | None, force: bool) -> None:
    """Write a local environment for PLAN: every workload in blue, configuration in both, traffic on blue."""
    plan = read_plan(plan_file)
    path = Path(out) if out else local_state_path()
    if path.exists() and not force:
        raise CliError(f"{path} exists: pass --force to replace it")
    try:
        LocalEnvironment(path).create(state_from_plan(plan))
    except OSError as error:
        raise OperationFailed(f"{path}: {error.strerror or error}") from None
    click.echo(
        f"wrote {path} (local environment, format version {VERSION}): {len(plan.services)} workload(s) in "
        f"{plan.source.name} (blue), their configuration in {plan.source.name} and {plan.target.name}, "
        "all traffic on blue"
    )
    taken = discovered_as_exposed(plan)
    if taken:
        click.echo(
            f"exposure: discover taken as exposed for {', '.join(taken)}: edit {path} ('exposed') or "
            "snapshot the real cluster (`cutover snapshot`) to say otherwise"
        )
    click.echo(f"rehearse on it: cutover rehearse {plan_file} --snapshot {path}")
    click.echo(
        f"or run on it: export CUTOVER_LOCAL_STATE={path}, start a worker, then cutover start {plan_file}"
    )
