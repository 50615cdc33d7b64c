"""Sending a decision as a Workflow Update: the migration's answer, or its refusal, comes back at once.

The refusal's kind (the ApplicationError type the validator raises: cutover.workflows.decisions)
picks the exit code: a gate that is unknown or not open, or bad input, is the caller's mistake
(exit 2); a sender the plan does not allow is the migration's refusal (exit 3).
"""

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.workflow import UpdateMethodMultiParam

from cutover.cli.context import MigrationHandle, describe_migration, running_migration
from cutover.cli.errors import CliError, OperationFailed, RefusedByMigration
from cutover.cli.workers import unanswered
from cutover.models import SignalPayload

P = TypeVar("P", bound=SignalPayload)
REFUSED_BY_THE_MIGRATION = {
    "not-an-approver",
    "not-an-operator",
    "already-approved",
    "self-approval",
    "bad-signature",
}
NO_HANDLER = "expected but not found"  # the SDK's words when a worker has no handler of that name


async def execute(
    client: Client,
    workflow_id: str,
    update: UpdateMethodMultiParam[..., Any],
    sent: P,
    timeout: float,
    checked: MigrationHandle | None = None,
) -> str:
    """The migration's answer to the update; a refusal raises with its reason (exit 2 or 3). With no
    worker polling its task queue it is refused at once (unless checked, the handle of a caller that
    has just asked); an answer later than timeout is an error."""
    handle = checked or await running_migration(client, workflow_id, need_worker=True)
    wait = timedelta(seconds=timeout)
    try:
        answer = await asyncio.wait_for(
            handle.execute_update(update, args=[sent], id=sent.request_id, rpc_timeout=wait), timeout
        )
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        kind = cause.type if isinstance(cause, ApplicationError) else None
        reason = cause.message if isinstance(cause, FailureError) else str(error)
        if NO_HANDLER in reason:
            raise OperationFailed(
                f"{workflow_id} runs on a worker older than 0.7, which takes decisions as signals only: "
                "upgrade the worker, or send the signal from the Web UI"
            ) from None
        if kind in REFUSED_BY_THE_MIGRATION:
            raise RefusedByMigration(f"{workflow_id} refused it: {reason}") from None
        raise CliError(reason) from None
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        task_queue = (await describe_migration(client, workflow_id)).task_queue
        raise await unanswered(client, workflow_id, task_queue, timeout) from None
    return str(answer)
