"""`cutover snapshot --env E --namespace N`: a real namespace as a local environment, to rehearse on."""

from pathlib import Path

import click

from cutover.cli.errors import CliError, OperationFailed
from cutover.cli.platform_access import platform_config_option
from cutover.platform.errors import PlatformError
from cutover.platform.local import InvalidLocalState
from cutover.platform.wiring import PlatformConfigError, load_platform_config
from cutover.rehearsal.snapshot import write_snapshot


@click.command("snapshot")
@click.option("--env", "env", required=True, help="The environment (a cluster.contexts name) to read")
@click.option("--namespace", required=True, help="The namespace to read")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="The state file to write; a snapshot of another namespace or environment already in it is kept "
    "[default: snapshot-ENV.json]",
)
@platform_config_option
def snapshot(env: str, namespace: str, out: str | None, platform_config: str | None) -> None:
    """Read a namespace (workloads, exposure, CronJobs, configuration digests: never a value) through the
    worker's platform config into a local environment file, for `cutover rehearse --snapshot`."""
    path = Path(out or f"snapshot-{env}.json")
    try:
        count = write_snapshot(load_platform_config(platform_config), env, namespace, path)
    except (PlatformConfigError, InvalidLocalState) as error:
        raise CliError(str(error)) from None
    except PlatformError as error:
        raise OperationFailed(f"cluster access: {error}") from None
    click.echo(
        f"wrote {count} object(s) of {env}/{namespace} to {path}: workloads, exposure, CronJob schedules, "
        "ConfigMaps and Secrets as key digests (no values)"
    )
    click.echo(f"rehearse on it: cutover rehearse PLAN --snapshot {path}")
