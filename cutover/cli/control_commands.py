"""`cutover start|approve|reject|pause|resume|abort`: drive a migration."""

from typing import Any

import click
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import UpdateMethodMultiParam

from cutover.cli.context import (
    MigrationHandle,
    client_for,
    default_sender,
    run_async,
    running_migration,
    settings_from,
    temporal_options,
)
from cutover.cli.errors import CliError, OperationFailed
from cutover.cli.json_output import JsonCommand, echo_json, json_option
from cutover.cli.plan_commands import read_plan, warn
from cutover.cli.platform_access import configured_cluster, configured_platform, platform_config_option
from cutover.cli.preflight import check_namespace, check_worker
from cutover.cli.requests import payload
from cutover.cli.signing import gate_asks_signature, signed
from cutover.cli.traffic_at_start import traffic_at_start
from cutover.cli.update_sending import execute
from cutover.leases import planned_workloads
from cutover.models import STARTED_BY_MEMO, Control, GateDecision
from cutover.plan.cluster_check import PlanCheck, check_plan
from cutover.plan.model import Plan
from cutover.platform.errors import PlatformError
from cutover.platform.interfaces import Cluster, MetricsSource
from cutover.temporal.lease_lookup import held_lines, lease_holders
from cutover.temporal.settings import TemporalSettings
from cutover.temporal.start_options import migration_start_options
from cutover.workflows.decisions import Verb
from cutover.workflows.migration import MigrationWorkflow


def _fit(plan: Plan, cluster: Cluster) -> PlanCheck:
    """The plan against the clusters the worker would use."""
    try:
        return check_plan(cluster, plan)
    except PlatformError as error:
        raise OperationFailed(f"checking the plan against the clusters: {error}") from None


def _refusal(title: str, problems: list[str]) -> CliError:
    if len(problems) == 1:
        return CliError(problems[0])
    lines = "\n".join(f"  {p}" for p in problems)
    return CliError(f"{title} ({len(problems)} problem(s)):\n{lines}")


async def checked_client(settings: TemporalSettings, plan: Plan, platform_config: str | None) -> Client:
    """A client to start the plan with, or one error naming why it must not start (`schedule create`)."""
    return await _client_if_fits(settings, plan, _fit(plan, configured_cluster(platform_config)))


async def _client_if_fits(settings: TemporalSettings, plan: Plan, fit: PlanCheck) -> Client:
    """A client to start the plan with, or one error naming why it must not start.

    Another migration's leases come first: its copies in green explain what the cluster check sees
    there. Temporal being unreachable matters only once the plan fits the clusters.
    """
    problems = fit.problems
    try:
        client = await client_for(settings)
    except OperationFailed:
        if problems:
            raise _refusal("the plan does not fit the clusters", problems) from None
        raise
    await check_namespace(client)
    keys = [k for env in (plan.source.name, plan.target.name) for k in planned_workloads(plan, env)]
    held = held_lines(await lease_holders(client, keys))
    if held:
        raise _refusal("workloads of the plan are held by other migrations", held)
    if problems:
        raise _refusal("the plan does not fit the clusters", problems)
    return client


async def start_migration(
    client: Client, plan: Plan, workflow_id: str, task_queue: str, started_by: str | None = None
) -> MigrationHandle:
    """Start the migration; who started it is its memo (gates.forbid_self_approval reads it)."""
    try:
        return await client.start_workflow(
            MigrationWorkflow.run,
            plan,
            id=workflow_id,
            task_queue=task_queue,
            **migration_start_options(plan),
            memo={STARTED_BY_MEMO: started_by} if started_by else None,
        )
    except WorkflowAlreadyStartedError:
        raise CliError(f"migration {workflow_id!r} is already running") from None


def _note_traffic(plan: Plan, fit: PlanCheck, metrics: MetricsSource, as_json: bool) -> None:
    """Warn about steps too short for their traffic, as the cluster check found the services
    exposed; before Temporal is asked, as it needs only the platform. Never a refusal."""
    exposed = {workload.service for workload in fit.workloads if workload.exposed}
    notes = traffic_at_start(plan, [s for s in plan.services if s.name in exposed], metrics)
    if notes.recent:
        click.echo(notes.recent, err=as_json)  # with --json, stdout is the JSON alone
    warn(notes.warnings)


@click.command("start", cls=JsonCommand)
@click.argument("file")
@click.option("--id", "workflow_id", help="Workflow id [default: cutover-PLAN_NAME]")
@click.option(
    "--as",
    "sender",
    default=default_sender,
    show_default="$CUTOVER_USER or login name",
    help="Who starts it (its memo started_by): with gates.forbid_self_approval they may not approve it",
)
@click.option(
    "--require-worker",
    is_flag=True,
    help="Refuse to start when no worker polls the task queue (without it: a warning)",
)
@json_option
@platform_config_option
@temporal_options
@run_async
async def start(
    file: str,
    workflow_id: str | None,
    sender: str,
    require_worker: bool,
    as_json: bool,
    platform_config: str | None,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Check the plan against the clusters, warn of steps its traffic cannot pass, then start the
    migration described by FILE."""
    plan = read_plan(file)
    settings = settings_from(address, namespace, task_queue)
    cluster, metrics = configured_platform(platform_config)
    fit = _fit(plan, cluster)
    if not fit.problems:
        _note_traffic(plan, fit, metrics, as_json)
    client = await _client_if_fits(settings, plan, fit)
    polling = await check_worker(client, settings.task_queue, require_worker)
    migration_id = workflow_id or f"cutover-{plan.name}"
    handle = await start_migration(client, plan, migration_id, settings.task_queue, sender)
    if as_json:
        started = {"workflow_id": handle.id, "run_id": handle.result_run_id, "plan": plan.name}
        where = {"namespace": client.namespace, "task_queue": settings.task_queue, "worker_polling": polling}
        echo_json(started | where)
        return
    click.echo(f"started migration {handle.id} (plan {plan.name}, task queue {settings.task_queue})")
    click.echo(f"follow it: cutover status {handle.id} --watch")


sender_option = click.option(
    "--as",
    "sender",
    default=default_sender,
    show_default="$CUTOVER_USER or login name",
    help="Who sends it; recorded in the timeline and the review",
)
timeout_option = click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    help="Seconds to wait for the migration's answer (exit 1 if none comes)",
)


def _decision_command(verb: Verb, update: UpdateMethodMultiParam[..., Any], help_text: str) -> click.Command:
    @click.command(verb, help=help_text)
    @click.argument("workflow_id")
    @click.option("--gate", required=True, help="The open gate, e.g. uat, traffic-25, full-cutover")
    @sender_option
    @click.option("--comment", default="")
    @click.option(
        "--sign-with",
        metavar="KEY",
        default=None,
        help="Sign the decision with this SSH private key (ssh-keygen -Y sign, namespace cutover)",
    )
    @click.option(
        "--sign",
        is_flag=True,
        help="Sign with ssh-agent's first key, else ~/.ssh/id_ed25519 (automatic where the plan asks)",
    )
    @timeout_option
    @temporal_options
    @run_async
    async def command(
        workflow_id: str,
        gate: str,
        sender: str,
        comment: str,
        sign_with: str | None,
        sign: bool,
        timeout: float,
        address: str | None,
        namespace: str | None,
        task_queue: str | None,
    ) -> None:
        decision = payload(GateDecision, gate=gate, sender=sender, comment=comment)
        client = await client_for(settings_from(address, namespace, None))
        handle = await running_migration(client, workflow_id, need_worker=True)  # before the query below
        if sign_with or sign or await gate_asks_signature(client, workflow_id):
            decision = await signed(client, workflow_id, decision, verb, sign_with)
        answer = await execute(client, workflow_id, update, decision, timeout, checked=handle)
        click.echo(f"{workflow_id}: {answer} (as {decision.sender})")

    return command


def _control_command(verb: str, update: UpdateMethodMultiParam[..., str], help_text: str) -> click.Command:
    """pause / resume as Updates: answered at once, a refusal with its reason."""

    @click.command(verb, help=help_text)
    @click.argument("workflow_id")
    @sender_option
    @click.option("--reason", default="")
    @timeout_option
    @temporal_options
    @run_async
    async def command(
        workflow_id: str,
        sender: str,
        reason: str,
        timeout: float,
        address: str | None,
        namespace: str | None,
        task_queue: str | None,
    ) -> None:
        control = payload(Control, sender=sender, reason=reason)
        client = await client_for(settings_from(address, namespace, None))
        answer = await execute(client, workflow_id, update, control, timeout)
        click.echo(f"{workflow_id}: {answer} (as {control.sender})")

    return command


@click.command("abort", help="Stop and roll everything back to blue; waits until the rollback has started.")
@click.argument("workflow_id")
@sender_option
@click.option("--reason", default="")
@timeout_option
@click.option(
    "--no-wait", is_flag=True, help="Return once the abort is recorded; do not wait for the rollback"
)
@temporal_options
@run_async
async def abort(
    workflow_id: str,
    sender: str,
    reason: str,
    timeout: float,
    no_wait: bool,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """The signal first, which Temporal records even with no worker up (the brake always lands); then
    the abort Update, whose answer comes once the rollback has started."""
    control = payload(Control, sender=sender, reason=reason)
    client = await client_for(settings_from(address, namespace, None))
    handle = await running_migration(client, workflow_id)
    await handle.signal(MigrationWorkflow.abort, control)
    click.echo(f"{workflow_id}: abort recorded (as {control.sender})")
    if no_wait:
        return
    try:
        answer = await execute(client, workflow_id, MigrationWorkflow.abort_update, control, timeout)
    except OperationFailed as error:
        raise OperationFailed(
            f"the abort is recorded and acts once a worker runs it; {error.message}"
        ) from None
    except CliError:  # it ended between the two: its rollback is over
        answer = "the migration has ended"
    click.echo(f"{workflow_id}: {answer}")
    click.echo(f"follow it: cutover status {workflow_id} --watch")


approve = _decision_command(
    "approve",
    MigrationWorkflow.approve_update,
    "Approve the open gate of a migration.",
)
reject = _decision_command(
    "reject",
    MigrationWorkflow.reject_update,
    "Reject the open gate: the migration rolls back.",
)
pause = _control_command(
    "pause", MigrationWorkflow.pause_update, "Hold the migration at the next step boundary."
)
resume = _control_command(
    "resume", MigrationWorkflow.resume_update, "Continue a paused migration, or retry a stuck undo."
)
