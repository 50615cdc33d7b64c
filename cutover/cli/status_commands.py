"""`cutover status|report`: where a migration is, its whole timeline, and its post-release review."""

import asyncio
from pathlib import Path

import click
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.exceptions import FailureError

from cutover.cli.context import (
    DEFAULT_TIMEOUT,
    client_for,
    describe_migration,
    migration_handle,
    query_status,
    run_async,
    settings_from,
    temporal_options,
)
from cutover.cli.errors import CliError, MigrationNotFound, OperationFailed, StillRunning
from cutover.cli.json_output import JsonCommand
from cutover.cli.platform_access import configured_report_store, from_store, platform_config_option
from cutover.cli.timeline_pages import PAGE_SIZE, json_lines, more_line, page_lines
from cutover.cli.workers import require_worker
from cutover.journal import full_timeline, journal_of_groups, stored_pages, timeline_gaps
from cutover.models import TIMELINE_HEAD, AnalysisResult, JournalPage, MigrationStatus, Outcome, Phase
from cutover.platform.interfaces import ReportStore
from cutover.report import (
    check_text,
    evidence_text,
    latency_text,
    limits_text,
    percent_text,
    render_review,
    side_text,
    verdict_text,
)
from cutover.sparkline import BLOCKS, error_rates


def format_status(workflow_id: str, status: MigrationStatus) -> str:
    lines = [
        f"migration {workflow_id} (plan {status.plan_name})",
        f"  phase:   {status.phase.value}{'  [PAUSED]' if status.paused else ''}",
        f"  step:    {status.step}",
        f"  outcome: {status.outcome.value}"
        + (f" — {status.outcome_reason}" if status.outcome_reason else ""),
        "  green traffic: " + (", ".join(f"{k} {v}%" for k, v in sorted(status.weights.items())) or "none"),
    ]
    if status.open_gate:
        g = status.open_gate
        lines.append(
            f"  OPEN GATE: {g.name} — approvers: {', '.join(g.approvers)}; "
            f"deadline {g.deadline:%Y-%m-%d %H:%M:%S} UTC"
        )
        if g.needed > 1:
            approved = ", ".join(g.approved_by) or "nobody yet"
            lines.append(f"    needs {g.needed} distinct approvals; approved by {approved}")
        if g.note:
            lines.append(f"    {g.note}")
        lines.append(f"    cutover approve {workflow_id} --gate {g.name} --as NAME")
    if status.stuck_undo:
        lines.append(f"  STUCK UNDO: {status.stuck_undo} — fix it, then: cutover resume {workflow_id}")
    if status.report_path:
        lines.append(f"  review:  {status.report_path}")
    if status.analyses:
        lines.append("  analyses (a test fails when its e-value reaches its bound):")
        lines += [_analysis_line(a) for a in status.analyses]
    if status.watching:
        lines.append("  watching now:")
        for a in status.watching:
            lines += [_analysis_line(a), *_sparkline_line(a)]
    if status.checks:
        lines.append("  checks (latest):")
        lines += [f"    {check_text(c)}" for c in status.checks[-10:]]
    if status.refusals:
        lines.append("  refused lately:")
        lines += [e.line() for e in status.refusals]
    lines.append("  timeline:")
    lines += [e.line() for e in status.timeline[:TIMELINE_HEAD]]
    if status.timeline_omitted:
        lines.append(f"  ... {status.timeline_omitted} events not kept in the status (the history has them)")
    lines += [e.line() for e in status.timeline[TIMELINE_HEAD:]]
    return "\n".join(lines)


def _analysis_line(a: AnalysisResult) -> str:
    """One step's evidence for one service: its counts, then each test's e-value against its bound."""
    return (
        f"    {a.weight:>3}%  {a.service:<16} {verdict_text(a):<12}"
        f" green {side_text(a.green_errors, a.green_requests, a.green_error_rate):<18}"
        f" blue {side_text(a.blue_errors, a.blue_requests, a.blue_error_rate):<18}"
        f" errors vs blue {evidence_text(a.evidence, a.bound):<16}"
        f" latency {latency_text(a):<24}"
        f" limits {limits_text(a)}"
    )


def _sparkline_line(a: AnalysisResult) -> list[str]:
    """Green's and blue's error rate per look so far, on one scale."""
    if a.looks is None or not a.looks.points:
        return []
    lines = error_rates(a.looks)
    scale = f"{BLOCKS[-1]} = {percent_text(lines.top)}" if lines.top else "no errors yet"
    return [f"          green {lines.green}  blue {lines.blue}  ({scale})"]


@click.command("status", cls=JsonCommand)
@click.argument("workflow_id")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the status as JSON; with --timeline, one JSON object per line (index, time, actor, "
    "kind, message) and the next page's command on stderr",
)
@click.option("--watch", is_flag=True, help="Follow the migration live until it ends")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls with --watch")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help=f"Seconds to wait for the migration's answer [default {DEFAULT_TIMEOUT:g}]; with --watch, to "
    "follow it: if it has not finished by then, one line and exit 4 [default: until it ends]",
)
@click.option(
    "--timeline",
    is_flag=True,
    help="Print the whole timeline a page at a time, numbered from 0: the report store's pages (see "
    "--platform-config) and the live status",
)
@click.option(
    "--from", "start", type=int, default=None, help="With --timeline: the first event's number [default 0]"
)
@click.option(
    "--limit", type=int, default=None, help=f"With --timeline: at most this many events [default {PAGE_SIZE}]"
)
@platform_config_option
@temporal_options
@run_async
async def status(
    workflow_id: str,
    as_json: bool,
    watch: bool,
    interval: float,
    timeout: float | None,
    timeline: bool,
    start: int | None,
    limit: int | None,
    platform_config: str | None,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Show phase, step, weights, the open gate and the timeline."""
    if timeline:
        first, size = paging(start, limit, watch)
        store = configured_report_store(platform_config)
        client = await client_for(settings_from(address, namespace, None))
        await print_timeline(client, store, workflow_id, first, size, as_json)
        return
    if start is not None or limit is not None:
        raise CliError("--from/--limit: only with --timeline")
    client = await client_for(settings_from(address, namespace, None))
    described = await describe_migration(client, workflow_id)
    ended = await ended_badly(client, workflow_id, described)
    if ended is not None:
        if as_json:
            raise OperationFailed(f"migration {workflow_id} {ended}")
        click.echo(f"migration {workflow_id} {ended}")
        raise click.exceptions.Exit(1)
    await require_worker(client, described.task_queue, f"migration {workflow_id}")
    if not watch:
        current = await query_status(client, workflow_id, timeout=timeout)
        click.echo(current.model_dump_json(indent=2) if as_json else format_status(workflow_id, current))
        return
    if as_json:
        raise CliError("--json/--watch: one at a time", field="--watch")
    await watch_status(client, workflow_id, interval, timeout)


async def watch_status(client: Client, workflow_id: str, interval: float, timeout: float | None) -> None:
    """Print new events and steps until the migration ends: exit 0 if it succeeded, 1 if not; with
    a timeout, exit 4 once it runs out with the migration still going."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    seen, last_step = 0, ""
    while True:
        left = None if deadline is None else deadline - loop.time()
        if left is not None and left <= 0:
            raise _still_running(workflow_id, timeout, last_step)
        try:
            current = await query_status(
                client, workflow_id, timeout=min(left or DEFAULT_TIMEOUT, DEFAULT_TIMEOUT)
            )
        except OperationFailed:
            if deadline is not None and loop.time() >= deadline:
                raise _still_running(workflow_id, timeout, last_step) from None
            raise
        for event in current.events_since(seen):
            click.echo(event.line())
        seen = current.events_recorded
        if current.step != last_step:
            click.echo(f"  ... {current.phase.value}: {current.step}")
            last_step = current.step
        if current.phase == Phase.DONE:
            click.echo(f"finished: {current.outcome.value} {current.outcome_reason}")
            # A script waiting on the migration learns the outcome from the exit code.
            raise click.exceptions.Exit(0 if current.outcome == Outcome.SUCCEEDED else 1)
        await asyncio.sleep(interval if deadline is None else max(0.0, min(interval, deadline - loop.time())))


def _still_running(workflow_id: str, timeout: float | None, step: str) -> StillRunning:
    return StillRunning(
        f"stopped watching after {timeout:g}s: migration {workflow_id} has not finished "
        f"(now: {step or 'not known'}); `cutover status {workflow_id}` shows where it is"
    )


BADLY_ENDED = (
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TIMED_OUT,
)


async def ended_badly(
    client: Client, workflow_id: str, described: WorkflowExecutionDescription
) -> str | None:
    """How its workflow ended when it did not end as a migration does (an invalid plan started from
    the UI fails; a human may terminate it): 'failed: why'; None while it runs or once it completed
    (its status then says how: succeeded or rolled back)."""
    handle = migration_handle(client, workflow_id)
    if described.status not in BADLY_ENDED:
        return None
    how = described.status.name.lower().replace("_", " ")
    try:
        await handle.result(follow_runs=False)
    except WorkflowFailureError as error:
        cause = error.cause
        return f"{how}: {cause.message if isinstance(cause, FailureError) else error}"
    return how


async def print_timeline(
    client: Client, store: ReportStore, workflow_id: str, first: int, size: int, as_json: bool
) -> None:
    """One page of the whole timeline; as JSON, its events one a line and the next page's command on
    stderr (stdout stays JSON)."""
    current = await query_status(client, workflow_id)
    pages = read_pages(store, workflow_id, current)
    events = full_timeline(pages, current)
    if not as_json:
        click.echo("\n".join(page_lines(workflow_id, events, timeline_gaps(pages, current), first, size)))
        return
    if lines := json_lines(events, first, size):
        click.echo("\n".join(lines))
    if more := more_line(workflow_id, len(events), first, size):
        click.echo(more, err=True)


def paging(start: int | None, limit: int | None, watch: bool) -> tuple[int, int]:
    """--from and --limit, checked before anything is contacted."""
    if watch:
        raise CliError("--timeline/--watch: one at a time")
    first, size = (0 if start is None else start), (PAGE_SIZE if limit is None else limit)
    if first < 0:
        raise CliError(f"--from: must be 0 or more (an event's number), got {first}")
    if size < 1:
        raise CliError(f"--limit: must be 1 or more, got {size}")
    return first, size


def read_pages(store: ReportStore, workflow_id: str, current: MigrationStatus) -> list[JournalPage]:
    """The store's pages, read after the status (a page flushed meanwhile is one it does not count
    yet); a warning when they are not the status's: then its own bounded record is what shows."""
    pages = from_store(lambda: store.pages(workflow_id))
    if current.journal_pages and stored_pages(pages, current) is None:
        click.echo(
            f"warning: the report store does not hold the {current.journal_pages} journal pages of "
            f"{workflow_id}: showing what its status keeps (is --platform-config the worker's?)",
            err=True,
        )
    return pages


@click.command("report")
@click.argument("workflow_id")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file instead of stdout")
@platform_config_option
@temporal_options
@run_async
async def report(
    workflow_id: str,
    output: str | None,
    platform_config: str | None,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Print the post-release review (Markdown) of a migration: the stored one once it is written,
    else one rendered now from the report store's pages and the live status."""
    store = configured_report_store(platform_config)
    client = await client_for(settings_from(address, namespace, None))
    text = await review_text(client, store, workflow_id)
    if output:
        Path(output).write_text(text)
        click.echo(f"review written to {output}")
    else:
        click.echo(text)


async def review_text(client: Client, store: ReportStore, workflow_id: str) -> str:
    """The stored review of a migration that is done, or that Temporal no longer has; a running one's
    rendered now (a stored review then is an earlier migration's with the same id)."""
    try:
        current = await query_status(client, workflow_id)
    except MigrationNotFound:
        stored = from_store(lambda: store.review(workflow_id))
        if stored is None:
            raise
        return stored
    if current.phase == Phase.DONE and (stored := from_store(lambda: store.review(workflow_id))):
        return stored
    groups = from_store(lambda: journal_of_groups(store.pages, workflow_id, current))
    return render_review(workflow_id, current, read_pages(store, workflow_id, current), groups)
