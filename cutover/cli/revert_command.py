"""`cutover revert ID --reason R`: during the standby window after full cutover, everything back to blue."""

import asyncio
from collections.abc import Callable

import click
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError

from cutover.cli.context import (
    client_for,
    default_sender,
    run_async,
    running_migration,
    settings_from,
    temporal_options,
)
from cutover.cli.errors import OperationFailed, RefusedByMigration
from cutover.cli.requests import payload, wait_for
from cutover.models import Control, MigrationStatus, Phase
from cutover.workflows.migration import MigrationWorkflow

ROLLBACK_UNDERWAY = (Phase.ROLLING_BACK, Phase.REVIEW, Phase.DONE)


@click.command("revert")
@click.argument("workflow_id")
@click.option("--reason", required=True, help="Why; recorded in the timeline and the review")
@click.option(
    "--sender",
    "--as",
    "sender",
    default=default_sender,
    show_default="$CUTOVER_USER or login name",
    help="Who reverts; recorded in the timeline and the review",
)
@click.option(
    "--timeout",
    default=600.0,
    show_default=True,
    help="Seconds to wait for every exposed service to be back at blue's weights (exit 1 if not)",
)
@temporal_options
@run_async
async def revert(
    workflow_id: str,
    reason: str,
    sender: str,
    timeout: float,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """After full cutover, until the migration ends: route everything back to blue (scaling it back up
    first if decommission scaled it down), then roll back the rest. Waits until blue serves again."""
    control = payload(Control, sender=sender, reason=reason)
    client = await client_for(settings_from(address, namespace, None))
    loop = asyncio.get_running_loop()
    sent = loop.time()
    answer = await _execute(client, workflow_id, control, timeout)
    click.echo(f"{workflow_id}: {answer} (as {control.sender})")
    status = await wait_for(
        client, workflow_id, _back_at_blue(), timeout, "routed every exposed service back to blue"
    )
    click.echo(
        f"{workflow_id}: all {len(status.blue_weights)} exposed service(s) back at blue's weights "
        f"{loop.time() - sent:.1f}s after the revert; the rest of the rollback: cutover status {workflow_id}"
    )


async def _execute(client: Client, workflow_id: str, control: Control, timeout: float) -> str:
    """The migration's answer; its refusal (the validator's line, nothing changed) exits 3."""
    handle = await running_migration(client, workflow_id)
    update = handle.execute_update(MigrationWorkflow.revert, control, id=control.request_id)
    try:
        return await asyncio.wait_for(update, timeout)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        why = cause.message if isinstance(cause, FailureError) else str(cause or error)
        raise RefusedByMigration(f"revert refused: {why}") from None
    except TimeoutError:
        raise OperationFailed(
            f"{workflow_id} has not answered the revert within {timeout:g}s; is a worker running? "
            f"`cutover status {workflow_id}` shows where it is"
        ) from None


def _back_at_blue() -> Callable[[MigrationStatus], MigrationStatus | None]:
    """The status once the rollback has every exposed service at blue's weights; each new step is
    printed meanwhile (blue scaling back up, the routes)."""
    shown: list[str] = []

    def look(status: MigrationStatus) -> MigrationStatus | None:
        if status.step not in shown[-1:]:
            shown.append(status.step)
            click.echo(f"  {status.step}")
        at_blue = all(status.weights.get(s) == w for s, w in status.blue_weights.items())
        return status if status.phase in ROLLBACK_UNDERWAY and at_blue else None

    return look
