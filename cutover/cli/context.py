"""Shared CLI plumbing: Temporal settings from flags/env, connecting, finding a migration."""

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

import click
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode

from cutover.cli.errors import CliError, MigrationNotFound, NamespaceNotFound, OperationFailed
from cutover.cli.namespace_fit import lacking_attributes
from cutover.cli.workers import require_worker, unanswered
from cutover.models import AnalysisResult, MigrationStatus
from cutover.temporal.client import TemporalUnreachable, connect
from cutover.temporal.settings import TemporalConfigError, TemporalSettings
from cutover.workflows.migration import MigrationWorkflow

T = TypeVar("T")
# Queries and signals go by method reference: mypy checks each belongs to MigrationWorkflow and what it takes.
MigrationHandle = WorkflowHandle[MigrationWorkflow, MigrationStatus]
# How a worker answers a query its workflow does not define.


def temporal_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--address / --namespace / --task-queue, and the temporal CLI's --profile / --config-file: the
    settings are the temporal CLI's (temporal.toml profile, TEMPORAL_* variables), these flags on top."""
    func = click.option(
        "--task-queue",
        envvar="CUTOVER_TASK_QUEUE",
        default=None,
        help="Task queue [env CUTOVER_TASK_QUEUE, default cutover]",
    )(func)
    func = click.option(
        "--config-file",
        default=None,
        expose_value=False,
        callback=_remember,
        help="Temporal client config (TOML) [env TEMPORAL_CONFIG_FILE, default the temporal CLI's]",
    )(func)
    func = click.option(
        "--profile",
        default=None,
        expose_value=False,
        callback=_remember,
        help="Profile in the Temporal config file [env TEMPORAL_PROFILE, default default]",
    )(func)
    func = click.option("--namespace", default=None, help="Temporal namespace [env TEMPORAL_NAMESPACE]")(func)
    func = click.option("--address", default=None, help="Temporal host:port [env TEMPORAL_ADDRESS]")(func)
    return func


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Keep --profile / --config-file for settings_from, so commands do not take them as arguments."""
    if param.name:
        ctx.meta[f"cutover.{param.name}"] = value


def settings_from(address: str | None, namespace: str | None, task_queue: str | None) -> TemporalSettings:
    """The command's Temporal settings; unusable ones (unknown profile, missing certificate) are one line."""
    meta = ctx.meta if (ctx := click.get_current_context(silent=True)) else {}
    try:
        return TemporalSettings.from_env(
            address=address,
            namespace=namespace,
            task_queue=task_queue,
            profile=meta.get("cutover.profile"),
            config_file=meta.get("cutover.config_file"),
        )
    except TemporalConfigError as error:
        raise CliError(str(error)) from None


def run_async(func: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run the command; a failure on the Temporal side becomes one `error:` line, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return asyncio.run(func(*args, **kwargs))
        except RPCError as error:
            if namespace_missing(error):
                raise NamespaceNotFound(f"{_first_line(error.message)} (see --namespace)") from None
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


def namespace_missing(error: RPCError) -> bool:
    """NOT_FOUND says which: the namespace (a detail of its own) or what was asked for."""
    return error.status == RPCStatusCode.NOT_FOUND and any(
        detail.type_url.endswith("NamespaceNotFoundFailure") for detail in error.grpc_status.details
    )


def not_found(client: Client, error: RPCError, what: str) -> CliError:
    """A wrong namespace named as such (exit 2), not read as a missing migration or schedule."""
    if namespace_missing(error):
        address = client.service_client.config.target_host
        return NamespaceNotFound(f"namespace {client.namespace!r} does not exist on {address}")
    return MigrationNotFound(f"{what} not found")


async def describe_migration(client: Client, workflow_id: str) -> WorkflowExecutionDescription:
    """Its description, or one line: not found (exit 2), or why Temporal could not say (exit 1)."""
    try:
        return await migration_handle(client, workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise not_found(client, error, f"migration {workflow_id!r}") from None
        raise OperationFailed(f"cannot describe migration {workflow_id!r}: {error}") from None


async def running_migration(client: Client, workflow_id: str, need_worker: bool = False) -> MigrationHandle:
    """The handle of a migration that is still running, or a clear error why not; with need_worker,
    also refused at once when no worker polls its task queue (a query or an Update would wait)."""
    description = await describe_migration(client, workflow_id)
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = description.status.name.lower() if description.status else "unknown"
        raise CliError(f"migration {workflow_id!r} has finished ({state}); it takes no more signals")
    if need_worker:
        await require_worker(client, description.task_queue, f"migration {workflow_id}")
    return migration_handle(client, workflow_id)


TASK_FAILING = "Workflow Task in failed state"  # the server's words when a query meets a failing task
DEFAULT_TIMEOUT = 30.0  # seconds a query waits for the worker's answer (the server's own default)


def command_timeout() -> float:
    """The running command's --timeout, so every query it makes honours it; else DEFAULT_TIMEOUT."""
    ctx = click.get_current_context(silent=True)
    timeout = ctx.params.get("timeout") if ctx is not None else None
    return float(timeout) if isinstance(timeout, int | float) else DEFAULT_TIMEOUT


async def query_status(
    client: Client, workflow_id: str, with_looks: bool = True, timeout: float | None = None
) -> MigrationStatus:
    """The migration's status, with the latest look per service from its analysis groups (unless
    with_looks is False: one query, for a caller that reads only the migration's own state); each
    query waits at most timeout seconds [default: the command's --timeout]."""
    wait = timedelta(seconds=timeout or command_timeout())
    query = migration_handle(client, workflow_id).query(MigrationWorkflow.status, rpc_timeout=wait)
    status = await _answer(client, workflow_id, query, wait)
    if not with_looks:
        return status
    looks = await asyncio.gather(*(_watching(client, group, wait) for group in status.analysis_groups))
    status.watching = [look for group in looks for look in group]
    return status


async def _watching(client: Client, group_id: str, wait: timedelta) -> list[AnalysisResult]:
    """A group's latest looks; none from a group that has just ended or cannot answer now."""
    try:
        looks: list[AnalysisResult] = await client.get_workflow_handle(group_id).query(
            "watching", result_type=list[AnalysisResult], rpc_timeout=wait
        )
    except (RPCError, WorkflowQueryFailedError):
        return []
    return looks


async def _answer(client: Client, workflow_id: str, query: Awaitable[T], wait: timedelta) -> T:
    """A query's answer, or one error line: not found (exit 2), or why it could not answer (exit 1):
    after the timeout, whether any worker polls the migration's task queue."""
    try:
        return await query
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise not_found(client, error, f"migration {workflow_id!r}") from None
        if error.status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
            task_queue = (await describe_migration(client, workflow_id)).task_queue
            raise await unanswered(client, workflow_id, task_queue, wait.total_seconds()) from None
        if TASK_FAILING in error.message and (lacking := await lacking_attributes(client)):
            raise OperationFailed(
                f"{workflow_id} cannot run: {lacking} (it goes on by itself once they exist)"
            ) from None
        raise OperationFailed(
            f"cannot query migration {workflow_id!r}: {_first_line(error.message)}"
        ) from None
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
        raise OperationFailed(f"migration {workflow_id!r} cannot answer: {_first_line(str(error))}") from None
