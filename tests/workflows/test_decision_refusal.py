"""One rule for approve and reject: the signals apply it, the decision_refusal query answers with it.

`cutover approve|reject` asks the query before it sends anything (cutover.cli.control_commands):
a gate that is unknown or not open stops there, in the workflow's words; a sender who is not an
approver is sent on, so the migration records the attempt.
"""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

# The stand-in workflow below is defined here, so the sandbox imports this module: what it imports
# (the CLI, the local environment, croniter) is passed through, as the real workflows' imports are.
with workflow.unsafe.imports_passed_through():
    from cutover.cli.errors import CliError
    from cutover.cli.main import cli
    from cutover.cli.update_sending import execute
    from cutover.models import GateDecision, MigrationStatus, OpenGate, Receipt
    from cutover.workflows.decisions import DecisionQuery, decision_refusal
    from cutover.workflows.migration import MigrationWorkflow
    from tests.workflows.helpers import migration
    from tests.workflows.support import poll

GATES = ["uat", "traffic-2", "traffic-25", "full-cutover"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def status_at(gate: str | None) -> MigrationStatus:
    open_gate = OpenGate(name=gate, approvers=["alice"], opened_at=NOW, deadline=NOW) if gate else None
    return MigrationStatus(plan_name="p", gates=GATES, open_gate=open_gate)


@pytest.mark.parametrize(
    ("verb", "gate", "sender", "open_gate", "kind", "reason"),
    [
        ("approve", "uat", "alice", "uat", None, None),
        ("reject", "traffic-25", "alice", "traffic-25", None, None),
        (
            "approve",
            "canary",
            "alice",
            "uat",
            "unknown-gate",
            "approve refused: unknown gate 'canary'; the gates of mig are uat, traffic-2, traffic-25, "
            "full-cutover",
        ),
        (
            "approve",
            "traffic-25",
            "alice",
            "uat",
            "gate-not-open",
            "approve refused: gate 'traffic-25' is not open in mig (open gate is uat)",
        ),
        (
            "reject",
            "uat",
            "alice",
            None,
            "gate-not-open",
            "reject refused: gate 'uat' is not open in mig (no gate is open)",
        ),
        (
            "approve",
            "uat",
            "mallory",
            "uat",
            "not-an-approver",
            "approve of uat refused: 'mallory' is not an approver",
        ),
    ],
)
def test_the_rule(
    verb: str, gate: str, sender: str, open_gate: str | None, kind: str | None, reason: str | None
) -> None:
    decision = GateDecision(gate=gate, sender=sender)
    refusal = decision_refusal(decision, verb, status_at(open_gate), ["alice", "bob"], "mig")
    assert (refusal.kind if refusal else None, refusal.reason if refusal else None) == (kind, reason)


async def cli_refusal(client: Client, workflow_id: str, gate: str, sender: str) -> tuple[int, str]:
    """What `cutover approve` says (and its exit code) when the migration refuses its update."""
    decision = GateDecision(gate=gate, sender=sender)
    with pytest.raises(CliError) as refused:
        await execute(client, workflow_id, MigrationWorkflow.approve_update, decision, 60)
    return refused.value.exit_code, refused.value.format_message()


async def test_the_query_and_the_signal_give_the_same_answer(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        mig = h.handle.id

        async def ask(gate: str, sender: str = "alice", signal: str = "approve") -> str | None:
            check = DecisionQuery.model_validate({"gate": gate, "sender": sender, "signal": signal})
            refusal = await h.handle.query(MigrationWorkflow.decision_refusal, check)
            return refusal.reason if refusal else None

        assert await ask("uat") is None and await ask("uat", "bob", "reject") is None
        not_open = f"approve refused: gate 'traffic-25' is not open in {mig} (open gate is uat)"
        assert await ask("traffic-25") == not_open
        unknown = f"approve refused: unknown gate 'canary'; the gates of {mig} are uat, traffic-2, traffic-25"
        assert (await ask("canary") or "").startswith(unknown)
        assert await ask("uat", "mallory", "reject") == "reject of uat refused: 'mallory' is not an approver"

        # The CLI's update is refused in the workflow's words: the caller's mistake exits 2, a sender
        # the plan does not allow exits 3; neither reaches the history.
        client = time_skipping_env.client
        assert await cli_refusal(client, mig, "traffic-25", "alice") == (2, not_open)
        code, said = await cli_refusal(client, mig, "canary", "alice")
        assert code == 2 and said.startswith(unknown)
        mallory = f"{mig} refused it: approve of uat refused: 'mallory' is not an approver"
        assert await cli_refusal(client, mig, "uat", "mallory") == (3, mallory)

        # A query changes nothing; the signals refuse with the reasons the query gave.
        status = await h.status()
        assert not [e for e in status.timeline if e.kind == "refused"]
        for gate, sender in (("traffic-25", "alice"), ("uat", "mallory")):
            await h.handle.signal(
                MigrationWorkflow.approve, GateDecision(gate=gate, sender=sender, request_id=gate)
            )
        status = await poll(h, lambda s: s.receipt("uat") is not None and s.receipt("traffic-25") is not None)
        receipts = {r.request_id: (r.applied, r.message) for r in status.receipts}
        assert receipts == {
            "traffic-25": (False, not_open),
            "uat": (False, "approve of uat refused: 'mallory' is not an approver"),
        }
        assert status.open_gate is not None and status.open_gate.name == "uat"


async def test_the_query_reads_any_input(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> None:
    """Like the signals, the query takes its input untyped: a bad one is an answer, never a failure."""
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        raw = Client(time_skipping_env.client.service_client, namespace="default")
        handle = raw.get_workflow_handle(h.handle.id)
        answer = await handle.query("decision_refusal", {"gate": "uat"})
        assert answer["kind"] == "bad-input" and "sender: missing" in answer["reason"]
        answer = await handle.query("decision_refusal", ["uat", "alice"])
        assert answer["kind"] == "bad-input" and "got a JSON list" in answer["reason"]
        # The approve signal's JSON, as pasted into the Web UI's query form, asks about an approval.
        assert await handle.query("decision_refusal", {"gate": "uat", "sender": "bob"}) is None
        status = await h.status()
        assert not [e for e in status.timeline if e.kind == "refused"]


@workflow.defn(name="MigrationWorkflow")
class WorkflowBeforeTheUpdates:
    """A migration run by a 0.6 worker: the approve signal and its receipt, no Update."""

    def __init__(self) -> None:
        self._status = status_at("uat")

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name="approve")
    def approve(self, decision: GateDecision) -> None:
        receipt = Receipt(
            request_id=decision.request_id or "", signal="approve", applied=True, message="taken by 0.6"
        )
        self._status.answer(receipt)

    @workflow.query(name="status")
    def status(self) -> MigrationStatus:
        return self._status


async def test_a_worker_without_the_updates_is_named(time_skipping_env: WorkflowEnvironment) -> None:
    """0.7's CLI decides through the Updates alone: a 0.6 worker gets one line saying so, nothing sent."""
    client = time_skipping_env.client
    queue = f"old-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[WorkflowBeforeTheUpdates]):
        handle = await client.start_workflow(WorkflowBeforeTheUpdates.run, id=queue, task_queue=queue)
        try:
            address = client.service_client.config.target_host
            args = ["approve", handle.id, "--gate", "uat", "--as", "alice", "--address", address]
            result = await asyncio.to_thread(CliRunner().invoke, cli, args)
        finally:
            await handle.terminate("test over")
    assert result.exit_code == 1, result.output
    assert "runs on a worker older than 0.7" in result.output and "taken by 0.6" not in result.output
