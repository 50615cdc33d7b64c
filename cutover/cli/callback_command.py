"""`cutover callback ID --check NAME --token T --verdict pass|fail`: a webhook check's verdict, sent by
the CI run its delivery started (or by a human on its behalf), through the check_callback Update."""

import asyncio

import click
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import FailureError

from cutover.checks.callback import WebhookCallback
from cutover.cli.context import client_for, run_async, running_migration, settings_from, temporal_options
from cutover.cli.errors import CliError, OperationFailed, RefusedByMigration
from cutover.workflows.migration import MigrationWorkflow

OPTIONS = {"check": "--check", "token": "--token", "verdict": "--verdict", "summary": "--summary"}


@click.command("callback")
@click.argument("workflow_id")
@click.option("--check", "check", required=True, help="The webhook check's name, as its delivery said")
@click.option(
    "--token",
    required=True,
    envvar="CUTOVER_CALLBACK_TOKEN",
    show_envvar=True,
    help="The callback_token the delivery carried (from the environment keeps it out of shell history)",
)
@click.option("--verdict", required=True, type=click.Choice(["pass", "fail"]))
@click.option("--summary", default="", help="One line: what the run found (at most 300 characters)")
@click.option("--details-url", default=None, help="Where the run's results are (an http(s) link)")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the migration's answer")
@temporal_options
@run_async
async def callback(
    workflow_id: str,
    check: str,
    token: str,
    verdict: str,
    summary: str,
    details_url: str | None,
    timeout: float,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Send a webhook check's verdict to the migration awaiting it; refused (exit 3, nothing changed)
    when no such check awaits a callback or the token is not its own."""
    try:
        fields = {"check": check, "token": token, "verdict": verdict, "summary": summary}
        sent = WebhookCallback.model_validate(fields | {"details_url": details_url})
    except ValidationError as error:
        item = error.errors()[0]
        field = str(item["loc"][0]) if item["loc"] else "input"
        raise CliError(f"{OPTIONS.get(field, '--' + field.replace('_', '-'))}: {item['msg']}") from None
    client = await client_for(settings_from(address, namespace, None))
    handle = await running_migration(client, workflow_id)
    try:
        update = handle.execute_update(MigrationWorkflow.check_callback, sent)
        answer = await asyncio.wait_for(update, timeout)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        raise RefusedByMigration(cause.message if isinstance(cause, FailureError) else str(error)) from None
    except TimeoutError:
        raise OperationFailed(
            f"{workflow_id} has not answered the callback within {timeout:g}s; is a worker running?"
        ) from None
    click.echo(f"{workflow_id}: {answer}")
