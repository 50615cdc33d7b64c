"""What the CLI sends a migration (one payload, its request id the Update's id, so a retried call is
not taken twice) and waiting on the migration's status for what an answer does not say."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from temporalio.client import Client

from cutover.cli.context import DEFAULT_TIMEOUT, query_status
from cutover.cli.errors import CliError, OperationFailed
from cutover.models import MigrationStatus, SignalPayload

P = TypeVar("P", bound=SignalPayload)

POLL_SECONDS = 0.3
# Payload field -> the option that sets it, so a bad value is named as the user typed it.
OPTIONS = {"sender": "--as", "comment": "--comment", "reason": "--reason", "gate": "--gate"}


def payload(model: type[P], **fields: Any) -> P:
    """The payload with a fresh request id, or one error line naming the bad option."""
    try:
        return model(request_id=uuid.uuid4().hex, **fields)
    except ValidationError as error:
        item = error.errors()[0]
        field = str(item["loc"][0]) if item["loc"] else "input"
        raise CliError(f"{OPTIONS.get(field, field)}: {item['msg']}") from None


T = TypeVar("T")


async def wait_for(
    client: Client,
    workflow_id: str,
    look: Callable[[MigrationStatus], T | None],
    timeout: float,
    what: str,
) -> T:
    """Poll the status until look finds something; after timeout, one error line (exit 1). A query
    waits no longer than the time left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = max(deadline - loop.time(), POLL_SECONDS)
        found = look(await query_status(client, workflow_id, timeout=min(left, DEFAULT_TIMEOUT)))
        if found is not None:
            return found
        if loop.time() > deadline:
            raise OperationFailed(
                f"{workflow_id} has not {what} within {timeout:g}s; is a worker running? "
                f"`cutover status {workflow_id}` shows where it is"
            )
        await asyncio.sleep(POLL_SECONDS)
