"""`cutover start|approve|reject|pause|resume|abort`: drive a migration."""

import click
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from cutover.cli.context import (
    client_for,
    default_sender,
    query_status,
    run_async,
    running_migration,
    settings_from,
    temporal_options,
)
from cutover.cli.errors import CliError, OperationFailed
from cutover.cli.plan_commands import read_plan
from cutover.cli.platform_access import configured_cluster, platform_config_option
from cutover.models import Control, GateDecision
from cutover.plan import Plan
from cutover.plan_check import check_plan
from cutover.workflows.migration import MigrationWorkflow


def preflight(plan: Plan, platform_config: str | None) -> None:
    """Check the plan against the clusters the worker would use, before anything starts."""
    try:
        problems = check_plan(configured_cluster(platform_config), plan).problems
    except ApplicationError as error:
        raise OperationFailed(f"checking the plan against the clusters: {error}") from None
    if len(problems) == 1:
        raise CliError(problems[0])
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise CliError(f"the plan does not fit the clusters ({len(problems)} problem(s)):\n{lines}")


async def start_migration(client: Client, plan: Plan, workflow_id: str, task_queue: str) -> WorkflowHandle:
    try:
        return await client.start_workflow(
            MigrationWorkflow.run,
            plan,
            id=workflow_id,
            task_queue=task_queue,
        )
    except WorkflowAlreadyStartedError:
        raise CliError(f"migration {workflow_id!r} is already running") from None


@click.command("start")
@click.argument("file")
@click.option("--id", "workflow_id", help="Workflow id [default: cutover-PLAN_NAME]")
@platform_config_option
@temporal_options
@run_async
async def start(
    file: str,
    workflow_id: str | None,
    platform_config: str | None,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Check the plan against the clusters, then start the migration described by FILE."""
    plan = read_plan(file)
    preflight(plan, platform_config)
    settings = settings_from(address, namespace, task_queue)
    client = await client_for(settings)
    handle = await start_migration(client, plan, workflow_id or f"cutover-{plan.name}", settings.task_queue)
    click.echo(f"started migration {handle.id} (plan {plan.name}, task queue {settings.task_queue})")
    click.echo(f"follow it: cutover status {handle.id} --watch")


async def _decide(
    workflow_id: str,
    gate: str,
    sender: str,
    comment: str,
    signal: str,
    address: str | None,
    namespace: str | None,
) -> None:
    client = await client_for(settings_from(address, namespace, None))
    handle = await running_migration(client, workflow_id)
    status = await query_status(client, workflow_id)
    open_gate = status.open_gate
    if gate not in status.gates:
        raise CliError(f"unknown gate {gate!r}; the gates of {workflow_id} are {', '.join(status.gates)}")
    if open_gate is None or open_gate.name != gate:
        raise CliError(
            f"gate {gate!r} is not open in {workflow_id} (open gate: "
            f"{open_gate.name if open_gate else 'none'})"
        )
    if sender not in open_gate.approvers:
        click.echo(
            f"warning: {sender!r} is not an approver of {gate} ({', '.join(open_gate.approvers)}); "
            f"the migration will record and refuse it",
            err=True,
        )
    await handle.signal(signal, GateDecision(gate=gate, sender=sender, comment=comment))
    click.echo(f"{signal} of gate {gate} sent to {workflow_id} as {sender}")


sender_option = click.option(
    "--as",
    "sender",
    default=default_sender,
    show_default="$CUTOVER_USER or login name",
    help="Who sends it; recorded in the timeline and the review",
)


def _decision_command(signal: str, help_text: str) -> click.Command:
    @click.command(signal, help=help_text)
    @click.argument("workflow_id")
    @click.option("--gate", required=True, help="The open gate, e.g. uat, traffic-25, full-cutover")
    @sender_option
    @click.option("--comment", default="")
    @temporal_options
    @run_async
    async def command(
        workflow_id: str,
        gate: str,
        sender: str,
        comment: str,
        address: str | None,
        namespace: str | None,
        task_queue: str | None,
    ) -> None:
        await _decide(workflow_id, gate, sender, comment, signal, address, namespace)

    return command


def _control_command(signal: str, help_text: str) -> click.Command:
    @click.command(signal, help=help_text)
    @click.argument("workflow_id")
    @sender_option
    @click.option("--reason", default="")
    @temporal_options
    @run_async
    async def command(
        workflow_id: str,
        sender: str,
        reason: str,
        address: str | None,
        namespace: str | None,
        task_queue: str | None,
    ) -> None:
        client = await client_for(settings_from(address, namespace, None))
        handle = await running_migration(client, workflow_id)
        await handle.signal(signal, Control(sender=sender, reason=reason))
        click.echo(f"{signal} sent to {workflow_id} as {sender}")

    return command


approve = _decision_command("approve", "Approve the open gate of a migration.")
reject = _decision_command("reject", "Reject the open gate: the migration rolls back.")
pause = _control_command("pause", "Hold the migration at the next step boundary.")
resume = _control_command("resume", "Continue a paused migration, or retry a stuck undo.")
abort = _control_command("abort", "Stop and roll everything back to blue.")
