"""`cutover freeze|unfreeze|freezes`: hold every migration touching an environment, by hand.

A freeze is a FreezeWorkflow (cutover.workflows.freeze) under the environment's own id: it holds from
the moment Temporal accepts its start, worker or not, and each migration asks at its next step
boundary. Freezing a frozen environment again changes its reason and end through the freeze's Update
(a refusal comes back at once); unfreeze lifts it. The calendar's recurring windows are the worker's
(its platform config's `freezes:`), not the CLI's: unfreeze cannot lift those.
"""

import asyncio
import re
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from pydantic import TypeAdapter, ValidationError
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from cutover.cli.context import client_for, default_sender, run_async, settings_from, temporal_options
from cutover.cli.errors import CliError, OperationFailed
from cutover.durations import parse_duration
from cutover.freezes.orders import FREEZE_MEMO, FREEZE_WORKFLOW_TYPE, freeze_from_memo
from cutover.freezes.windows import ALL_ENVS, ActiveFreeze, EnvName, one_line, shown_instant
from cutover.temporal.descriptions import while_running
from cutover.text import cut, shown
from cutover.workflows.freeze import FreezeEnded, FreezeOrder, FreezeWorkflow, Unfreeze, freeze_workflow_id
from cutover.workflows.migration import MIGRATION_WORKFLOW_TYPE, MigrationWorkflow

M = TypeVar("M", FreezeOrder, Unfreeze)
R = TypeVar("R")
FreezeHandle = WorkflowHandle[FreezeWorkflow, FreezeEnded]

# A duration needs its unit here: a bare number is more likely a mistyped date than seconds.
_DURATION = re.compile(r"(?:[0-9]+[dhms])+")
# Payload field -> the option that sets it, so a bad value is named as the user typed it.
OPTIONS = {"env": "--env", "reason": "--reason", "until": "--until", "by": "--as"}
SUMMARY_MAX = 200  # the Web UI's one-line summary
LISTED_MAX = 1000
START_TRIES = 3  # a freeze that ends between our start and our Update is started afresh

env_option = click.option(
    "--env",
    required=True,
    help="The environment, as plans name it (source.name / target.name); '*': every environment",
)
as_option = click.option(
    "--as",
    "sender",
    default=default_sender,
    show_default="$CUTOVER_USER or login name",
    help="Who does it; recorded in the freeze",
)
timeout_option = click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    help="Seconds to wait for the freeze's answer (exit 1 if none comes; is a worker running?)",
)


def parse_until(text: str | None, now: datetime) -> datetime | None:
    """--until as an instant (UTC) after now: ISO-8601 with a time zone, or a duration from now."""
    if text is None:
        return None
    value = text.strip()
    if _DURATION.fullmatch(value.lower()):
        try:
            until = now + parse_duration(value)
        except ValueError as error:
            raise CliError(f"--until: {error}") from None
    else:
        try:
            until = datetime.fromisoformat(value)
        except ValueError:
            raise CliError(
                f"--until: {shown(text)} is neither a time such as 2026-11-30T08:00+01:00 (or ...Z) nor a "
                f"duration such as 2h or 30m"
            ) from None
        if until.tzinfo is None or until.utcoffset() is None:
            raise CliError(
                f"--until: {shown(text)} has no time zone; add one, as in {value}Z or {value}+01:00"
            )
    if until <= now:
        raise CliError(f"--until: {shown_instant(until)} is not in the future (now {shown_instant(now)})")
    return until.astimezone(UTC)


def _model(model: type[M], **fields: Any) -> M:
    """The order or the unfreeze, or one error line naming the bad option."""
    try:
        return model(**fields)
    except ValidationError as error:
        item = error.errors()[0]
        field = str(item["loc"][0]) if item["loc"] else "input"
        raise CliError(f"{OPTIONS.get(field, field)}: {item['msg'].removeprefix('Value error, ')}") from None


def _checked_env(env: str) -> str:
    try:
        return TypeAdapter(EnvName).validate_python(env)
    except ValidationError as error:
        raise CliError(f"--env: {error.errors()[0]['msg'].removeprefix('Value error, ')}") from None


def _handle(client: Client, env: str) -> FreezeHandle:
    return client.get_workflow_handle_for(FreezeWorkflow.run, freeze_workflow_id(env))


def _summary(order: FreezeOrder) -> str:
    return cut(f"freeze {order.env}: {one_line(order.reason)}", SUMMARY_MAX)


async def set_freeze(
    client: Client, order: FreezeOrder, task_queue: str, timeout: float
) -> tuple[ActiveFreeze, bool]:
    """Freeze order.env (True: it was frozen already, and the freeze now stands as ordered)."""
    for _ in range(START_TRIES):
        try:
            await client.start_workflow(
                FreezeWorkflow.run,
                order,
                id=freeze_workflow_id(order.env),
                task_queue=task_queue,
                static_summary=_summary(order),
                memo={FREEZE_MEMO: order.active().model_dump(mode="json")},
            )
            return order.active(), False
        except WorkflowAlreadyStartedError:
            pass
        try:
            return await _update(_handle(client, order.env), FreezeWorkflow.extend, order, timeout), True
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:  # not found: it ended since; start it again
                raise
    raise OperationFailed(f"{order.env}'s freeze kept ending while it was being changed; try again")


async def _update(
    handle: FreezeHandle, update: UpdateMethodMultiParam[..., R], sent: FreezeOrder | Unfreeze, timeout: float
) -> R:
    """The freeze's answer; its refusal is one error line (exit 2)."""
    try:
        return await asyncio.wait_for(handle.execute_update(update, args=[sent]), timeout)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        raise CliError(cause.message if isinstance(cause, FailureError) else str(error)) from None
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):  # the SDK's, when wait_for cancels
        raise OperationFailed(
            f"{handle.id} has not answered within {timeout:g}s; is a worker running on its task queue? "
            f"(the freeze holds meanwhile)"
        ) from None


def _until(freeze: ActiveFreeze) -> str:
    return f"until {shown_instant(freeze.until)}" if freeze.until else "until `cutover unfreeze`"


def _env(env: str) -> str:
    return "every environment" if env == ALL_ENVS else env


@click.command("freeze")
@env_option
@click.option(
    "--until",
    "until_text",
    default=None,
    help="When it ends: a time with its zone (2026-11-30T08:00+01:00, ...Z) or a duration from now "
    "(2h, 30m, 1d); default: until `cutover unfreeze`",
)
@click.option("--reason", required=True, help="Why; every migration it holds shows it")
@as_option
@timeout_option
@temporal_options
@run_async
async def freeze(
    env: str,
    until_text: str | None,
    reason: str,
    sender: str,
    timeout: float,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Hold every migration touching ENV at its next step boundary, until --until or unfreeze.

    Freezing a frozen environment replaces its reason and end."""
    until = parse_until(until_text, datetime.now(UTC))
    order = _model(FreezeOrder, env=env, reason=reason, until=until, by=sender)
    settings = settings_from(address, namespace, task_queue)
    client = await client_for(settings)
    now, changed = await set_freeze(client, order, settings.task_queue, timeout)
    said = f"{_until(now)}: {one_line(now.reason)} (as {order.by})"
    if changed:
        click.echo(f"{_env(now.env)} was frozen already; the freeze now holds {said}")
    else:
        click.echo(f"froze {_env(now.env)} {said}")
        click.echo(
            f"migrations touching it hold at their next step boundary; lift it: cutover unfreeze --env {env}"
        )


@click.command("unfreeze")
@env_option
@as_option
@click.option("--reason", default="", help="Why it may go on now; recorded in the freeze")
@timeout_option
@temporal_options
@run_async
async def unfreeze(
    env: str,
    sender: str,
    reason: str,
    timeout: float,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Lift the freeze of ENV that `cutover freeze` set (a calendar window of the worker's config
    still holds). Not frozen: says so, exit 0."""
    env = _checked_env(env)
    lift = _model(Unfreeze, by=sender, reason=reason)
    client = await client_for(settings_from(address, namespace, None))
    handle = _handle(client, env)
    if await while_running(handle) is None:
        click.echo(f"{_env(env)} is not frozen")
        return
    try:
        lifted = await _update(handle, FreezeWorkflow.unfreeze_update, lift, timeout)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        click.echo(f"{_env(env)} is not frozen (its freeze has just ended)")
        return
    who = f"set by {lifted.by}: " if lifted.by else ""
    click.echo(f"lifted the freeze of {_env(env)} ({who}{one_line(lifted.reason)}) (as {lift.by})")
    woken = await wake_held_migrations(client)
    click.echo(f"told {woken} running migration(s) to look again; those it held go on at once")


async def wake_held_migrations(client: Client) -> int:
    """Every running migration looks at its freezes again now (freeze_lifted), rather than at its
    next look (cutover.workflows.freezing.FREEZE_RECHECK); one that has just ended is skipped."""
    query = f"WorkflowType = '{MIGRATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'"
    woken = 0
    async for execution in client.list_workflows(query):
        try:
            await client.get_workflow_handle(execution.id).signal(MigrationWorkflow.freeze_lifted)
        except RPCError:
            continue
        woken += 1
    return woken


@click.command("freezes")
@temporal_options
@run_async
async def freezes(address: str | None, namespace: str | None, task_queue: str | None) -> None:
    """List the environments frozen by hand (`cutover freeze`): env, until, by, reason.

    The calendar's windows are in the worker's platform config (`freezes:`)."""
    client = await client_for(settings_from(address, namespace, None))
    found = await manual_freezes(client)
    if not found:
        click.echo("no environment is frozen by hand")
        return
    rows = [("ENV", "UNTIL", "BY", "REASON")]
    rows += [
        (f.env, shown_instant(f.until) if f.until else "until unfreeze", f.by or "?", one_line(f.reason))
        for f in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        click.echo(
            "  ".join([*(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)), row[3]])
        )


async def manual_freezes(client: Client) -> list[ActiveFreeze]:
    """The running freezes, by env. Visibility lists them (it lags a moment); each is then described,
    which is strongly consistent: one lifted since is left out, one changed since shows as it is now."""
    query = f"WorkflowType = '{FREEZE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'"
    listed = [execution.id async for execution in client.list_workflows(query, limit=LISTED_MAX)]
    described = await asyncio.gather(*(_described(client, workflow_id) for workflow_id in set(listed)))
    return sorted((f for f in described if f is not None), key=lambda f: f.env)


async def _described(client: Client, workflow_id: str) -> ActiveFreeze | None:
    found = await while_running(client.get_workflow_handle(workflow_id))
    if found is None:
        return None
    return freeze_from_memo(await found.memo_value(FREEZE_MEMO, default=None), workflow_id)
