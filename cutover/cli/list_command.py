"""`cutover list`: the migrations Temporal's visibility knows, filtered on cutover's search attributes."""

from datetime import datetime
from typing import Any

import click
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode

from cutover.cli.context import client_for, not_found, run_async, settings_from, temporal_options
from cutover.cli.json_output import JsonCommand, echo_json, json_option
from cutover.models import Outcome, Phase
from cutover.workflows.migration import MIGRATION_WORKFLOW_TYPE
from cutover.workflows.search_attributes import (
    GREEN_TRAFFIC_PERCENT,
    MIGRATION_OUTCOME,
    MIGRATION_PHASE,
    MIGRATION_PLAN,
)

COLUMNS = ("ID", "PLAN", "PHASE", "GREEN", "OUTCOME", "WORKFLOW", "STARTED (UTC)")


def visibility_query(phase: str | None, outcome: str | None, plan: str | None) -> str:
    """Migrations only (not their leases or helpers), each once: a run that continued as new is not one."""
    terms = [f'WorkflowType = "{MIGRATION_WORKFLOW_TYPE}"', 'ExecutionStatus != "ContinuedAsNew"']
    for key, value in ((MIGRATION_PHASE, phase), (MIGRATION_OUTCOME, outcome), (MIGRATION_PLAN, plan)):
        if value is not None:
            terms.append(f"{key.name} = {_quoted(value)}")
    return " AND ".join(terms)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def row(execution: WorkflowExecution) -> dict[str, Any]:
    """One migration as `--json` prints it; an attribute not set yet (a migration just started) is null."""
    attributes = execution.typed_search_attributes
    return {
        "id": execution.id,
        "run_id": execution.run_id,
        "plan": attributes.get(MIGRATION_PLAN),
        "phase": attributes.get(MIGRATION_PHASE),
        "green_percent": attributes.get(GREEN_TRAFFIC_PERCENT),
        "outcome": attributes.get(MIGRATION_OUTCOME),
        "workflow_status": execution.status.name.lower() if execution.status else None,
        "task_queue": execution.task_queue,
        "started": _time(execution.start_time),
        "closed": _time(execution.close_time),
    }


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def table(rows: list[dict[str, Any]]) -> list[str]:
    cells = [
        [
            r["id"],
            r["plan"] or "-",
            r["phase"] or "-",
            "-" if r["green_percent"] is None else f"{r['green_percent']}%",
            r["outcome"] or "-",
            r["workflow_status"] or "-",
            (r["started"] or "-")[:19].replace("T", " "),
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [list(COLUMNS), *cells]) for i in range(len(COLUMNS))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(COLUMNS), *cells]
    ]


async def migrations(client: Client, query: str, limit: int) -> list[dict[str, Any]]:
    try:
        return [row(execution) async for execution in client.list_workflows(query, limit=limit)]
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise not_found(client, error, "namespace") from None
        raise


@click.command("list", cls=JsonCommand)
@click.option("--phase", type=click.Choice([p.value for p in Phase]), help="Only migrations in this phase")
@click.option(
    "--outcome", type=click.Choice([o.value for o in Outcome]), help="Only migrations with this outcome"
)
@click.option("--plan", help="Only migrations of this plan (its name)")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many")
@json_option
@temporal_options
@run_async
async def list_migrations(
    phase: str | None,
    outcome: str | None,
    plan: str | None,
    limit: int,
    as_json: bool,
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
) -> None:
    """List migrations, newest first, from Temporal's visibility (its search attributes lag a moment)."""
    client = await client_for(settings_from(address, namespace, task_queue))
    rows = await migrations(client, visibility_query(phase, outcome, plan), limit)
    if as_json:
        echo_json(rows)
    elif rows:
        click.echo("\n".join(table(rows)))
    else:
        click.echo("no migrations" + (" match" if phase or outcome or plan else ""))
