"""Is a worker polling a task queue? Asked before starting a migration, and to explain a migration
that does not answer: a query or an Update needs a worker, a signal does not."""

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cutover.cli.errors import OperationFailed


async def worker_polling(client: Client, task_queue: str) -> bool | None:
    """Whether a worker has polled the queue for workflow tasks lately (the server keeps pollers for a
    few minutes); None when the server cannot say (the time-skipping test server)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        described = await client.workflow_service.describe_task_queue(request)
    except RPCError as error:
        if error.status in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.PERMISSION_DENIED):
            return None
        raise
    return bool(described.pollers)


def no_worker(task_queue: str, namespace: str) -> str:
    return (
        f"no worker is polling task queue {task_queue} (namespace {namespace}): start one "
        f"(`python worker.py` with CUTOVER_TASK_QUEUE={task_queue})"
    )


async def require_worker(client: Client, task_queue: str, what: str) -> None:
    """Refuse at once, rather than wait out a timeout, when nobody could answer."""
    if await worker_polling(client, task_queue) is False:
        raise OperationFailed(f"{what}: {no_worker(task_queue, client.namespace)}")


async def unanswered(client: Client, workflow_id: str, task_queue: str, timeout: float) -> OperationFailed:
    """Why a migration did not answer within the timeout: no worker, or one that is busy or stuck."""
    if await worker_polling(client, task_queue) is False:
        return OperationFailed(f"{workflow_id} has not answered: {no_worker(task_queue, client.namespace)}")
    return OperationFailed(
        f"{workflow_id} has not answered within {timeout:g}s; its worker on task queue {task_queue} is "
        f"busy or stuck (see its log), or raise --timeout"
    )
