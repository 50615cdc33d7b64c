"""What `start` asks Temporal before starting: does the namespace have cutover's search attributes
(without them every workflow task fails, in a loop), and does a worker poll the task queue."""

import click
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cutover.cli.context import not_found
from cutover.cli.errors import OperationFailed
from cutover.cli.namespace_fit import lacking_attributes
from cutover.cli.workers import no_worker, worker_polling


async def check_namespace(client: Client) -> None:
    """Refuse, naming what is missing and the command that adds it (a namespace that does not exist
    is named as such)."""
    try:
        lacking = await lacking_attributes(client)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise not_found(client, error, f"namespace {client.namespace!r}") from None
        raise
    if lacking:
        raise OperationFailed(lacking)


async def check_worker(client: Client, task_queue: str, required: bool) -> bool | None:
    """Whether a worker polls the queue: refused when required, else a warning; None if unknown."""
    polling = await worker_polling(client, task_queue)
    if polling is False:
        if required:
            raise OperationFailed(
                f"not started (--require-worker): {no_worker(task_queue, client.namespace)}"
            )
        click.echo(
            f"warning: {no_worker(task_queue, client.namespace)}; the migration waits until one does",
            err=True,
        )
    return polling
