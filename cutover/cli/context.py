"""Shared CLI plumbing: Temporal settings from flags/env, connecting, finding a migration."""

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any, TypeVar

import click
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode

from cutover.cli.errors import CliError, MigrationNotFound, OperationFailed
from cutover.models import AnalysisResult, MigrationStatus
from cutover.temporal.client import TemporalUnreachable, connect
from cutover.temporal.settings import TemporalSettings
from cutover.workflows.migration import MigrationWorkflow

T = TypeVar("T")
# Queries and signals go by method reference: mypy checks each belongs to MigrationWorkflow and what it takes.
MigrationHandle = WorkflowHandle[MigrationWorkflow, MigrationStatus]
# How a worker answers a query its workflow does not define.


def temporal_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--address / --namespace / --task-queue, defaulting to the temporal CLI's env vars."""
    func = click.option(
        "--task-queue",
        envvar="CUTOVER_TASK_QUEUE",
        default=None,
        help="Task queue [env CUTOVER_TASK_QUEUE, default cutover]",
    )(func)
    func = click.option(
        "--namespace",
        envvar="TEMPORAL_NAMESPACE",
        default=None,
        help="Temporal namespace [env TEMPORAL_NAMESPACE]",
    )(func)
    func = click.option(
        "--address", envvar="TEMPORAL_ADDRESS", default=None, help="Temporal host:port [env TEMPORAL_ADDRESS]"
    )(func)
    return func


def settings_from(address: str | None, namespace: str | None, task_queue: str | None) -> TemporalSettings:
    return TemporalSettings.from_env(address=address, namespace=namespace, task_queue=task_queue)


def run_async(func: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run the command; a failure on the Temporal side becomes one `error:` line, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return asyncio.run(func(*args, **kwargs))
        except RPCError as error:
            raise OperationFailed(
                f"Temporal refused the request ({error.status.name}): {_first_line(error.message)}"
            ) from None
        except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
            raise OperationFailed(
                f"the migration could not answer its status query: {_first_line(str(error))}"
            ) from None
        except TemporalError as error:
            raise OperationFailed(f"Temporal: {_first_line(str(error))}") from None

    return wrapper


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or ["(no message)"])[0][:500]


async def client_for(settings: TemporalSettings) -> Client:
    try:
        return await connect(settings)
    except TemporalUnreachable as error:
        raise OperationFailed(str(error)) from None


def default_sender() -> str:
    return os.environ.get("CUTOVER_USER") or getpass.getuser()


def migration_handle(client: Client, workflow_id: str) -> MigrationHandle:
    return client.get_workflow_handle_for(MigrationWorkflow.run, workflow_id)


async def running_migration(client: Client, workflow_id: str) -> MigrationHandle:
    """The handle of a migration that is still running, or a clear error why not."""
    handle = migration_handle(client, workflow_id)
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"migration {workflow_id!r} not found") from None
        raise OperationFailed(f"cannot describe migration {workflow_id!r}: {error}") from None
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = description.status.name.lower() if description.status else "unknown"
        raise CliError(f"migration {workflow_id!r} has finished ({state}); it takes no more signals")
    return handle


async def query_status(client: Client, workflow_id: str, with_looks: bool = True) -> MigrationStatus:
    """The migration's status, with the latest look per service from its analysis groups (unless
    with_looks is False: one query, for a caller that reads only the migration's own state)."""
    status = await _answer(workflow_id, migration_handle(client, workflow_id).query(MigrationWorkflow.status))
    if not with_looks:
        return status
    looks = await asyncio.gather(*(_watching(client, group) for group in status.analysis_groups))
    status.watching = [look for group in looks for look in group]
    return status


async def _watching(client: Client, group_id: str) -> list[AnalysisResult]:
    """A group's latest looks; none from a group that has just ended or cannot answer now."""
    try:
        looks: list[AnalysisResult] = await client.get_workflow_handle(group_id).query(
            "watching", result_type=list[AnalysisResult]
        )
    except (RPCError, WorkflowQueryFailedError):
        return []
    return looks


async def _answer(workflow_id: str, query: Awaitable[T]) -> T:
    """A query's answer, or one error line: not found (exit 2), or why it could not answer (exit 1)."""
    try:
        return await query
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise MigrationNotFound(f"migration {workflow_id!r} not found") from None
        raise OperationFailed(
            f"cannot query migration {workflow_id!r}: {_first_line(error.message)}"
        ) from None
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
        raise OperationFailed(f"migration {workflow_id!r} cannot answer: {_first_line(str(error))}") from None
