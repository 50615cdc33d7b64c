"""`cutover discover`: a namespace's workloads as a plan's services block; refuses what green cannot run."""

import click

from cutover.cli.errors import CliError, OperationFailed
from cutover.cli.platform_access import configured_cluster, platform_config_option
from cutover.models import Workload, WorkloadKind
from cutover.platform.errors import PlatformError


def services_yaml(workloads: list[Workload]) -> list[str]:
    """A plan's `services:` block; exposure stays `discover` (decided at run time), noted in a comment."""
    lines = ["services:"]
    for w in workloads:
        seen = (
            "a CronJob, never exposed"
            if w.kind == WorkloadKind.CRONJOB
            else ("exposed" if w.exposed else "non-exposed")
        )
        lines += [
            f"  - name: {w.name}",
            f"    workload: {w.kind}/{w.name}",
            f"    namespace: {w.namespace}",
            f"    exposure: discover  # now: {seen}",
        ]
    return lines


@click.command("discover")
@click.option(
    "--env", "env", required=True, help="Source environment (kube context name in the platform config)"
)
@click.option("--namespace", required=True)
@click.option("--selector", default="", help="Label selector, e.g. app.kubernetes.io/part-of=shop")
@platform_config_option
def discover(env: str, namespace: str, selector: str, platform_config: str | None) -> None:
    """Print the workloads of a namespace as a plan's services; list the ones Fargate cannot run."""
    malformed = [term for term in selector.split(",") if term and "=" not in term.strip("=")]
    if malformed:
        raise CliError(f"--selector: {', '.join(malformed)} is not key=value (equality selectors only)")
    cluster = configured_cluster(platform_config)
    if env not in cluster.environments():
        raise CliError(f"--env: environment {env!r} not found (have {cluster.environments()})")
    try:
        found = cluster.discover(env, namespace, selector)
    except PlatformError as error:
        raise OperationFailed(f"discover in {env}/{namespace}: {error}") from None
    usable = [w for w in found if not w.unsupported]
    refused = [w for w in found if w.unsupported]
    where = f"{env}/{namespace}" + (f" matching {selector}" if selector else "")
    click.echo(f"# {len(usable)} workload(s) in {where}")
    if usable:
        click.echo("\n".join(services_yaml(usable)))
    for w in refused:
        click.echo(f"# refused: {w.kind}/{w.name}: {w.unsupported}")
