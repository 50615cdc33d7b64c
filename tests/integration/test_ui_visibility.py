"""What the Temporal UI shows: search attributes in the list, current details on the page."""

import asyncio
from collections.abc import Callable
from pathlib import Path

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client

from cutover.demo.seed import seed
from cutover.models import MigrationStatus
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import wait_for, write_plan


def gate_open(gate: str) -> Callable[[MigrationStatus], bool]:
    return lambda status: status.open_gate is not None and status.open_gate.name == gate


async def metadata(client: Client, workflow_id: str) -> WorkflowMetadata:
    handle = client.get_workflow_handle(workflow_id)
    found: WorkflowMetadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return found


async def visible(client: Client, query: str) -> list[str]:
    for _ in range(40):  # visibility is eventually consistent
        ids = [w.id async for w in client.list_workflows(query)]
        if ids:
            return ids
        await asyncio.sleep(0.25)
    return []


def test_list_filters_and_current_details(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    started = processes.cutover("start", str(write_plan(tmp_path, name="ui-visibility")), "--id", "mig-ui")
    assert started.returncode == 0, started.stderr
    wait_for(processes, "mig-ui", lambda s: s.open_gate is not None)

    async def check_waiting() -> None:
        client = await connect(TemporalSettings(address=processes.server.address))
        shown = await metadata(client, "mig-ui")
        details = shown.current_details
        assert "phase **validation**" in details
        signals = {d.name: d.description for d in shown.definition.signal_definitions}
        assert "refused and recorded" in signals.pop(""), "any other name: the dynamic handler says so"
        assert set(signals) == {
            "approve",
            "reject",
            "pause",
            "resume",
            "abort",
            "group_report",
            "freeze_lifted",
        }
        assert "internal" in signals.pop("group_report"), "the UI must say not to send it"
        assert "cutover unfreeze" in signals.pop("freeze_lifted"), "it says who sends it"
        updates = {d.name: d.description for d in shown.definition.update_definitions}
        assert {"approve", "reject", "pause", "resume", "abort", "revert", "check_callback"} <= set(updates)
        assert "answered at once" in updates["approve"]
        assert '{"gate": "uat", "sender": "alice", "comment": "UAT signed off"}' in signals["approve"]
        assert all('"sender": "alice"' in text for text in signals.values())
        queries = {d.name: d.description for d in shown.definition.query_definitions}
        assert "timeline" in queries["status"]
        assert await visible(client, 'MigrationOutcome = "running" AND MigrationPlan = "ui-visibility"') == [
            "mig-ui"
        ]
        await client.get_workflow_handle("mig-ui").signal("approve", {"gate": "uat", "sender": "eve|**x**"})
        for _ in range(600):
            details = (await metadata(client, "mig-ui")).current_details
            if "Refused lately" in details:
                break
            await asyncio.sleep(0.1)
        escaped = "eve\\|\\*\\*x\\*\\*"
        assert f"{escaped}: approve of uat refused: '{escaped}' is not an approver" in details
        assert "Waiting for approval** of gate `uat` by alice, bob" in details
        assert await visible(client, 'MigrationPhase = "validation" AND MigrationPlan = "ui-visibility"') == [
            "mig-ui"
        ]

    asyncio.run(check_waiting())
    for gate in ("uat", "traffic-25", "traffic-75", "full-cutover"):
        wait_for(processes, "mig-ui", gate_open(gate))
        approved = processes.cutover("approve", "mig-ui", "--gate", gate, "--as", "bob")
        assert approved.returncode == 0, approved.stderr
    watched = processes.cutover("status", "mig-ui", "--watch", "--interval", "0.3")
    assert "finished: succeeded" in watched.stdout

    async def check_done() -> None:
        client = await connect(TemporalSettings(address=processes.server.address))
        assert await visible(
            client,
            'GreenTrafficPercent = 100 AND MigrationPhase = "done" AND MigrationPlan = "ui-visibility"',
        ) == ["mig-ui"]
        assert await visible(
            client, 'MigrationOutcome = "succeeded" AND MigrationPlan = "ui-visibility"'
        ) == ["mig-ui"]
        assert "Outcome: **succeeded**" in (await metadata(client, "mig-ui")).current_details

    asyncio.run(check_done())
