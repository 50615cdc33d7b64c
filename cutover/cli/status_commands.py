"""`cutover status|report`: where a migration is, and its post-release review."""

import asyncio
from pathlib import Path

import click

from cutover.cli.context import client_for, query_status, run_async, settings_from, temporal_options
from cutover.models import TIMELINE_HEAD, AnalysisResult, MigrationStatus, Outcome, Phase
from cutover.report import (
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


@click.command("status")
@click.argument("workflow_id")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON")
@click.option("--watch", is_flag=True, help="Follow the migration live until it ends")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls with --watch")
@temporal_options
@run_async
async def status(
    workflow_id: str,
    as_json: bool,
    watch: bool,
    interval: float,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """Show phase, step, weights, the open gate and the timeline."""
    client = await client_for(settings_from(address, namespace, None))
    current = await query_status(client, workflow_id)
    if as_json:
        click.echo(current.model_dump_json(indent=2))
        return
    if not watch:
        click.echo(format_status(workflow_id, current))
        return
    seen, last_step = 0, ""
    while True:
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
        await asyncio.sleep(interval)
        current = await query_status(client, workflow_id)


@click.command("report")
@click.argument("workflow_id")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file instead of stdout")
@temporal_options
@run_async
async def report(
    workflow_id: str, output: str | None, address: str | None, namespace: str | None, task_queue: str | None
) -> None:
    """Print the post-release review (Markdown) of a migration."""
    client = await client_for(settings_from(address, namespace, None))
    text = render_review(workflow_id, await query_status(client, workflow_id))
    if output:
        Path(output).write_text(text)
        click.echo(f"review written to {output}")
    else:
        click.echo(text)
