"""A workflow's description while it runs: the strongly consistent answer to "does it still run?"
(visibility lags), for the lease lookup and the freezes."""

from typing import Any

from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode


async def while_running(handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionDescription | None:
    """Its description, or None when Temporal has no such workflow or it has ended."""
    try:
        described = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return described if described.status == WorkflowExecutionStatus.RUNNING else None
