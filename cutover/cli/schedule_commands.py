"""`cutover schedule create|list|delete|pause|unpause|trigger`: migrations started by Temporal in
maintenance windows."""

from datetime import UTC, datetime
from typing import Any

import click
from temporalio.client import (
    Client,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleHandle,
    ScheduleListActionStartWorkflow,
    ScheduleListDescription,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from cutover.cli.context import (
    client_for,
    default_sender,
    not_found,
    run_async,
    settings_from,
    temporal_options,
)
from cutover.cli.control_commands import checked_client
from cutover.cli.errors import CliError, OperationFailed
from cutover.cli.json_output import JsonCommand, echo_json, json_option
from cutover.cli.plan_commands import read_plan
from cutover.cli.platform_access import platform_config_option
from cutover.durations import format_duration
from cutover.temporal.schedules import (
    DEFAULT_CATCHUP,
    ScheduleInputError,
    catchup_from_option,
    migration_schedule,
    when_from_options,
)
from cutover.workflows.migration import MIGRATION_WORKFLOW_TYPE
from cutover.workflows.search_attributes import MIGRATION_PLAN


@click.group("schedule")
def schedule_group() -> None:
    """Let Temporal start a migration in a maintenance window (Temporal Schedules)."""


@schedule_group.command("create")
@click.argument("file")
@click.option("--at", help="One window: an ISO 8601 time with offset, e.g. 2026-11-28T02:00:00Z")
@click.option("--cron", multiple=True, help="Repeating windows, e.g. '0 2 * * 6' (repeatable)")
@click.option("--timezone", "time_zone", help="Time zone of --cron, e.g. Europe/Berlin [default: UTC]")
@click.option(
    "--id", "schedule_id", help="Schedule id, also the migration's id prefix [default: cutover-PLAN]"
)
@click.option(
    "--catchup",
    default=format_duration(DEFAULT_CATCHUP),
    show_default=True,
    help="How late a missed window may still start (e.g. after a Temporal outage)",
)
@click.option("--note", default="", help="Shown in `schedule list` and the Temporal UI")
@click.option("--paused", is_flag=True, help="Create it paused; `cutover schedule unpause` lets it run")
@platform_config_option
@temporal_options
@run_async
async def create(
    file: str,
    at: str | None,
    cron: tuple[str, ...],
    time_zone: str | None,
    schedule_id: str | None,
    catchup: str,
    note: str,
    paused: bool,
    platform_config: str | None,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Check FILE's plan against the clusters, then schedule its migration."""
    plan = read_plan(file)
    try:
        catchup_window = catchup_from_option(catchup)
        when = when_from_options(at, cron, time_zone, datetime.now(UTC))
    except ScheduleInputError as error:
        raise CliError(str(error)) from None
    settings = settings_from(address, namespace, task_queue)
    client = await checked_client(settings, plan, platform_config)
    schedule_id = schedule_id or f"cutover-{plan.name}"
    schedule = migration_schedule(plan, when, schedule_id, settings.task_queue, catchup_window, note, paused)
    try:
        handle = await client.create_schedule(
            schedule_id,
            schedule,
            search_attributes=TypedSearchAttributes([SearchAttributePair(MIGRATION_PLAN, plan.name)]),
        )
    except ScheduleAlreadyRunningError:
        raise CliError(f"schedule {schedule_id!r} already exists; delete it first") from None
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise CliError(f"--at/--cron/--timezone: {error.message}") from None
        raise OperationFailed(f"cannot create schedule {schedule_id!r}: {error.message}") from None
    description = await handle.describe()
    upcoming = description.info.next_action_times[:1]
    click.echo(f"scheduled migration of plan {plan.name} as {schedule_id}: {when.describe()}")
    if upcoming:
        click.echo(
            f"  next start: {upcoming[0]:%Y-%m-%d %H:%M:%S} UTC (workflow id {schedule_id}-<start time>)"
        )
    click.echo(f"  see it: cutover schedule list; cancel it: cutover schedule delete {schedule_id}")


def _is_migration(entry: ScheduleListDescription) -> bool:
    action = entry.schedule.action if entry.schedule else None
    return isinstance(action, ScheduleListActionStartWorkflow) and action.workflow == MIGRATION_WORKFLOW_TYPE


def format_entry(entry: ScheduleListDescription) -> list[str]:
    plan = entry.typed_search_attributes.get(MIGRATION_PLAN) or "?"
    state = entry.schedule.state if entry.schedule else None
    paused = "  [PAUSED]" if state is not None and state.paused else ""
    upcoming = entry.info.next_action_times[:1] if entry.info else []
    lines = [
        f"{entry.id}  plan {plan}{paused}",
        f"  when:  {state.note if state and state.note else '-'}",
        f"  next:  {f'{upcoming[0]:%Y-%m-%d %H:%M:%S} UTC' if upcoming else 'none'}",
    ]
    for result in entry.info.recent_actions if entry.info else []:
        started = getattr(result.action, "workflow_id", "?")
        lines.append(f"  started {started} at {result.started_at:%Y-%m-%d %H:%M:%S} UTC")
    return lines


def entry_json(entry: ScheduleListDescription) -> dict[str, Any]:
    """One scheduled migration as `schedule list --json` prints it."""
    state = entry.schedule.state if entry.schedule else None
    upcoming = entry.info.next_action_times[:1] if entry.info else []
    return {
        "id": entry.id,
        "plan": entry.typed_search_attributes.get(MIGRATION_PLAN),
        "paused": bool(state and state.paused),
        "note": state.note if state and state.note else None,
        "next_start": upcoming[0].isoformat() if upcoming else None,
        "started": [
            {"workflow_id": getattr(result.action, "workflow_id", None), "at": result.started_at.isoformat()}
            for result in (entry.info.recent_actions if entry.info else [])
        ],
    }


@schedule_group.command("list", cls=JsonCommand)
@json_option
@temporal_options
@run_async
async def list_schedules(
    as_json: bool, address: str | None, namespace: str | None, task_queue: str | None
) -> None:
    """Every scheduled migration: its plan, when it runs next, what it started."""
    client = await client_for(settings_from(address, namespace, task_queue))
    try:
        entries = [entry async for entry in await client.list_schedules() if _is_migration(entry)]
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise not_found(client, error, f"namespace {client.namespace!r}") from None
        raise
    entries.sort(key=lambda e: e.id)
    if as_json:
        echo_json([entry_json(entry) for entry in entries])
        return
    if not entries:
        click.echo("no scheduled migrations")
    for entry in entries:
        click.echo("\n".join(format_entry(entry)))


async def _migration_schedule(client: Client, schedule_id: str) -> ScheduleHandle:
    """The handle of a schedule that starts migrations, or a clear error why not."""
    handle = client.get_schedule_handle(schedule_id)
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise not_found(client, error, f"schedule {schedule_id!r}") from None
        raise OperationFailed(f"cannot describe schedule {schedule_id!r}: {error.message}") from None
    action = description.schedule.action
    if not isinstance(action, ScheduleActionStartWorkflow) or action.workflow != MIGRATION_WORKFLOW_TYPE:
        raise CliError(f"schedule {schedule_id!r} does not start cutover migrations; left as it is")
    return handle


@schedule_group.command("delete")
@click.argument("schedule_id")
@temporal_options
@run_async
async def delete(
    schedule_id: str, address: str | None, namespace: str | None, task_queue: str | None
) -> None:
    """Delete a schedule; a migration it already started keeps running."""
    client = await client_for(settings_from(address, namespace, task_queue))
    handle = await _migration_schedule(client, schedule_id)
    await handle.delete()
    click.echo(f"deleted schedule {schedule_id}; migrations it started are not affected")


@schedule_group.command("pause")
@click.argument("schedule_id")
@click.option("--reason", required=True, help="Why: the schedule's note, shown in `schedule list` and the UI")
@temporal_options
@run_async
async def pause(
    schedule_id: str, reason: str, address: str | None, namespace: str | None, task_queue: str | None
) -> None:
    """Start no migration in the schedule's windows until it is unpaused; one running keeps running."""
    client = await client_for(settings_from(address, namespace, task_queue))
    handle = await _migration_schedule(client, schedule_id)
    await handle.pause(note=reason)
    click.echo(f"paused schedule {schedule_id}: {reason}; undo it: cutover schedule unpause {schedule_id}")


@schedule_group.command("unpause")
@click.argument("schedule_id")
@click.option("--reason", default="", help="Why: the schedule's note [default: who unpaused it]")
@temporal_options
@run_async
async def unpause(
    schedule_id: str, reason: str, address: str | None, namespace: str | None, task_queue: str | None
) -> None:
    """Let the schedule start its migrations in its windows again."""
    client = await client_for(settings_from(address, namespace, task_queue))
    handle = await _migration_schedule(client, schedule_id)
    await handle.unpause(note=reason or f"unpaused by {default_sender()}")
    upcoming = (await handle.describe()).info.next_action_times[:1]
    next_start = f"{upcoming[0]:%Y-%m-%d %H:%M:%S} UTC" if upcoming else "none"
    click.echo(f"unpaused schedule {schedule_id}; next start: {next_start}")


@schedule_group.command("trigger")
@click.argument("schedule_id")
@temporal_options
@run_async
async def trigger(
    schedule_id: str, address: str | None, namespace: str | None, task_queue: str | None
) -> None:
    """Start the schedule's migration now, outside its windows (even while paused); its overlap policy
    holds: not while a migration it started still runs."""
    client = await client_for(settings_from(address, namespace, task_queue))
    handle = await _migration_schedule(client, schedule_id)
    await handle.trigger()
    click.echo(
        f"triggered schedule {schedule_id}: it starts migration {schedule_id}-<start time> now; "
        "see it: cutover list --phase preparation, or cutover schedule list"
    )
