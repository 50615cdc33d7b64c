"""No input can fail a workflow task: every bad shape is refused, recorded, and abort still rolls back.

Signals are sent the way the Web UI and the raw `temporal` CLI send them: through a client with the
SDK's default converter, or as raw payloads with whatever encoding the sender chose.
"""

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.cli.main import cli
from cutover.demo.seed import seed
from cutover.models import MESSAGE_MAX, SENDER_MAX, TIMELINE_LIMIT, Control, EventKind, Outcome
from cutover.platform.local import State
from cutover.platform.local_reports import LocalReportStore
from cutover.worker import build_worker
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import make_plan, migration
from tests.workflows.support import assert_restored, poll, signal


def raw(data: bytes, encoding: bytes) -> RawValue:
    return RawValue(Payload(metadata={"encoding": encoding}, data=data))


def as_json(value: object) -> RawValue:
    return raw(json.dumps(value).encode(), b"json/plain")


HUGE = "x" * 200_000


def bad_shapes(decision: bool) -> list[tuple[str, list[Any], str]]:
    """(label, the signal's inputs, a phrase the recorded refusal must contain)."""
    base: dict[str, object] = {"gate": "uat", "sender": "alice"} if decision else {"sender": "alice"}
    text, typo = ("comment", "gate") if decision else ("reason", "sender")
    return [
        ("binary", [raw(b"\x00\xffgate=uat", b"binary/plain")], "got 10 bytes of binary data"),
        ("no-input", [], "no input; send exactly one JSON object"),
        ("two-inputs", [as_json(base)] * 2, "2 inputs"),
        ("not-json", [raw(b"{gate: uat", b"json/plain")], "unreadable json/plain payload of 10 bytes"),
        ("unknown-encoding", [raw(b"gate=uat", b"text/x-form")], "unreadable text/x-form payload"),
        ("null", [raw(b"", b"binary/null")], "got null"),
        ("list", [as_json(["uat", "alice"])], "got a JSON list"),
        ("null-sender", [as_json({**base, "sender": None})], "sender: Input should be a valid string"),
        ("missing-sender", [as_json({k: v for k, v in base.items() if k != "sender"})], "sender: missing"),
        ("empty-sender", [as_json({**base, "sender": "  "})], "sender: String should have at least 1"),
        ("huge-sender", [as_json({**base, "sender": HUGE})], f"at most {SENDER_MAX} characters"),
        ("huge-text", [as_json({**base, text: HUGE})], f"{text}: String should have at most"),
        ("wrong-type", [as_json({**base, typo: 25})], f"{typo}: Input should be a valid string"),
        ("newline-sender", [as_json({**base, "sender": "al\nice"})], "sender: String should match"),
    ]


async def task_failures(handle: WorkflowHandle[Any, Any]) -> list[str]:
    return [
        str(event.workflow_task_failed_event_attributes.failure.message)
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


def ui_client(env: WorkflowEnvironment) -> Client:
    """A client like the Web UI's: the SDK's default converter, workflows named by type."""
    return Client(env.client.service_client, namespace="default")


@pytest.mark.parametrize("signal_name", ["approve", "reject", "pause", "resume", "abort"])
async def test_every_bad_shape_is_refused_and_abort_still_rolls_back(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, signal_name: str
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        before = h.local.read()
        await h.at_gate("uat")
        raw_handle = ui_client(time_skipping_env).get_workflow_handle(h.handle.id)
        shapes = bad_shapes(decision=signal_name in ("approve", "reject"))
        for _, inputs, _ in shapes:
            await raw_handle.signal(signal_name, args=inputs)
        status = await poll(h, lambda s: sum(e.kind == "refused" for e in s.timeline) == len(shapes), 120)
        refusals = [e.message for e in status.timeline if e.kind == "refused"]
        for (label, _, phrase), message in zip(shapes, refusals, strict=True):
            assert message.startswith(f"{signal_name} refused: "), (label, message)
            assert phrase in message, (label, message)
        assert all(
            len(e.message) <= MESSAGE_MAX + 40 and len(e.actor) <= SENDER_MAX + 40 for e in status.timeline
        )
        huge = next(e for e in status.timeline if "at most 100 characters" in e.message)
        assert huge.actor.startswith("x" * SENDER_MAX) and "more characters" in huge.actor
        assert not status.paused and status.open_gate is not None, "a refused signal changed nothing"
        assert [e.message for e in status.refusals] == refusals[-len(status.refusals) :]

        await signal(h, "abort", "carol", "stop after the noise")
        result = await h.handle.result()
        assert await task_failures(h.handle) == []
    assert result.outcome == Outcome.ROLLED_BACK and "carol" in result.outcome_reason
    assert_restored(before, h.local.read())


async def test_a_signal_with_a_request_id_gets_a_receipt(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        for request in ("p1", "p2", "p3"):
            await h.handle.signal(MigrationWorkflow.pause, Control(sender="carol", request_id=request))
        await h.handle.signal("approve", {"gate": "uat", "sender": "mallory", "request_id": "a1"})
        status = await poll(h, lambda s: s.receipt("a1") is not None, 120)
        receipts = {r.request_id: (r.applied, r.message) for r in status.receipts}
        assert receipts["p1"][0] and receipts["p2"] == (True, "already paused") == receipts["p3"]
        assert receipts["a1"] == (False, "approve of uat refused: 'mallory' is not an approver")
        assert [e.kind for e in status.timeline].count(EventKind.PAUSED) == 1, "repeated pauses are one event"


async def test_a_burst_of_pause_and_resume_cannot_freeze_it(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The burst makes the run long: the rollback continues as new (hence a server of its own)."""
    async with migration(own_time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        burst = 2_400
        for number in range(burst):
            await h.handle.signal("pause" if number % 2 == 0 else "resume", {"sender": f"bot-{number % 3}"})
        await h.handle.signal(MigrationWorkflow.pause, Control(sender="carol", request_id="last"))
        status = await poll(h, lambda s: s.receipt("last") is not None, seconds=120)
        assert status.paused and len(status.timeline) <= TIMELINE_LIMIT
        assert len(status.model_dump_json()) < 1_000_000
        await signal(h, "abort", "carol")
        result = await h.handle.result()
        assert await task_failures(h.handle) == []
    assert result.outcome == Outcome.ROLLED_BACK


async def start_from_ui(env: WorkflowEnvironment, tmp_path: Path, *inputs: Any) -> tuple[str, State, State]:
    """Start MigrationWorkflow by type name with raw inputs; return its failure and the env before/after."""
    local = seed(tmp_path / "local-env.json")
    before = local.read()
    queue = f"ui-{uuid.uuid4()}"
    activities = MigrationActivities(
        local, local, local, tmp_path / "reports", LocalReportStore(tmp_path / "reports")
    )
    async with build_worker(env.client, queue, activities):
        handle = await ui_client(env).start_workflow(
            "MigrationWorkflow", args=list(inputs), id=f"ui-{uuid.uuid4()}", task_queue=queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        assert await task_failures(handle) == []
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidPlan" and cause.non_retryable
    return cause.message, before, local.read()


PLAN_JSON = json.loads(make_plan().model_dump_json())
# 1,000 exposed services through ten steps: a traffic run larger than a run may be (history_budget).
THOUSAND = [
    {"name": f"web-{i}", "workload": f"deployment/web-{i}", "namespace": "web", "exposure": "exposed"}
    for i in range(1000)
]
TEN_STEPS = {"steps": list(range(10, 101, 10)), "bake": "30m"}
BAD_SQL = {
    "name": "orders",
    "kind": "query",
    "stages": ["final"],
    "query": {"sql": {"database": "orders", "statement": "DELETE FROM orders"}},
}
DSN_IN_TARGET = {
    "name": "e2e",
    "kind": "http",
    "stages": ["final"],
    "http": {"targets": {"green": "https://ops:hunter2@green.internal"}, "requests": [{"path": "/"}]},
}


@pytest.mark.parametrize(
    ("inputs", "phrase"),
    [
        ([{**PLAN_JSON, "traffic": {"steps": [5, 2, 100]}}], "traffic.steps: weights must strictly increase"),
        ([{**PLAN_JSON, "services": []}], "services: List should have at least 1 item"),
        ([], "expected one input, the plan as a JSON object"),
        ([PLAN_JSON, PLAN_JSON], "got 2 inputs"),
        ([raw(b"\x01\x02", b"binary/plain")], "got 2 bytes of binary data"),
        ([raw(b"{plan", b"json/plain")], "got an unreadable json/plain payload"),
        (
            [{**PLAN_JSON, "services": THOUSAND, "traffic": TEN_STEPS, "gates": {"require": []}}],
            "services: one workflow run of the migration",
        ),
        (
            [{**PLAN_JSON, "checks": [BAD_SQL]}],
            "checks[0].query.sql.statement: must be a read-only SELECT",
        ),
        (
            [{**PLAN_JSON, "checks": [DSN_IN_TARGET]}],
            "checks[0].http.targets.green: must not carry a user or password",
        ),
        ([{**PLAN_JSON, "uat": {"route": {"header": "Cookie", "value": "x"}}}], "uat.route.header"),
    ],
)
async def test_a_plan_the_cli_would_refuse_ends_the_ui_start_at_once(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, inputs: list[Any], phrase: str
) -> None:
    message, before, after = await start_from_ui(time_skipping_env, tmp_path, *inputs)
    assert phrase in message, message
    assert after == before, "an invalid plan changed the environment"


async def test_status_of_a_migration_that_failed_says_so(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """An invalid plan started from the UI ends the workflow failed: `cutover status` says so, with
    why, and exits 1 (it said "phase: pending, outcome: running" and exited 0)."""
    local = seed(tmp_path / "local-env.json")
    queue = f"ui-{uuid.uuid4()}"
    reports = tmp_path / "reports"
    activities = MigrationActivities(local, local, local, reports, LocalReportStore(reports))
    async with build_worker(time_skipping_env.client, queue, activities):
        handle = await ui_client(time_skipping_env).start_workflow(
            "MigrationWorkflow",
            {**PLAN_JSON, "name": "Not A Name"},
            id=f"ui-{uuid.uuid4()}",
            task_queue=queue,
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    address = time_skipping_env.client.service_client.config.target_host
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["status", handle.id, "--address", address])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"migration {handle.id} failed: the plan is invalid"), result.output
    assert "name: must be a DNS label" in result.output
