"""Notifications in whole migrations on the time-skipping server: what the plan routes reaches a real
receiver on 127.0.0.1 (CloudEvents, and Mattermost through Apprise) with the gate's facts, once per
key and destination; a destination that fails or that the worker does not know costs a timeline line,
never the migration."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import AwareDatetime, TypeAdapter
from temporalio.testing import WorkflowEnvironment

from cutover.models import MigrationStatus, Outcome
from cutover.notify.config import NotificationsConfig
from cutover.notify.ledger import FileLedger
from cutover.plan.model import Plan
from cutover.worker import NOTIFICATIONS_SENT
from tests.notify.conftest import Receiver
from tests.workflows.helpers import make_plan, migration
from tests.workflows.support import decide

EVENTS = "/events"
BROKEN = "/broken"
TOKEN = "chat-token"
CHAT = f"/hooks/{TOKEN}"
UI = "https://temporal.example.com"
NAMESPACE = "default"  # the time-skipping server's
HEADER = {"header": "X-Cutover", "value": "green"}
UAT_ROUTE = "requests with header X-Cutover: green reach green's checkout, catalog; the rest stay on blue"
HAPPY_GATES = ["uat", "traffic-25", "full-cutover"]

Event = dict[str, Any]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """tests/notify's receiver (every request kept; 200 unless its statuses say otherwise)."""
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.port = runner.addresses[0][1]
    yield receiver
    await runner.cleanup()


def worker_config(receiver: Receiver) -> NotificationsConfig:
    """The worker's destinations: `events` (CloudEvents), `chat` (Mattermost), `broken` (always 500
    once the test says so)."""
    return NotificationsConfig.model_validate(
        {
            "ui_url": UI,
            "destinations": {
                "events": {"cloudevents": f"http://{receiver.base}{EVENTS}"},
                "chat": {"apprise": f"mmost://{receiver.base}/{TOKEN}?image=no"},
                "broken": {"cloudevents": f"http://{receiver.base}{BROKEN}"},
            },
        }
    )


def routed(*routes: tuple[list[str], list[str]], **overrides: Any) -> Plan:
    """The helpers' plan (three gates, the uat gate with a testers' route) with these notify routes."""
    notify = {"routes": [{"to": to, "events": events} for to, events in routes]}
    settings: dict[str, Any] = {"uat": {"route": HEADER}, "notify": notify}
    return make_plan(**(settings | overrides))


def cloud_events(receiver: Receiver, path: str = EVENTS) -> list[Event]:
    """The CloudEvents received at path, in their notifications' order (their key's count): two
    started in one workflow task may arrive either way round."""
    events = [request.json() for request in receiver.at(path)]
    return sorted(events, key=lambda event: int(event["id"].rsplit("/", 1)[1]))


def kinds(events: list[Event]) -> list[str]:
    return [event["data"]["kind"] for event in events]


def iso(value: datetime) -> str:
    """A time as the notification's JSON writes it (pydantic's form: Z for UTC)."""
    written: str = TypeAdapter(AwareDatetime).dump_python(value, mode="json")
    return written


def when(value: datetime) -> str:
    """A time as the default templates write it."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def notification_lines(status: MigrationStatus) -> list[str]:
    return [event.message for event in status.timeline if event.kind == "notification"]


async def received(receiver: Receiver, enough: Callable[[Receiver], bool], seconds: float = 60) -> None:
    """Wait in real time (server time stands still) for the notify activity to post."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not enough(receiver):
        if loop.time() > deadline:
            raise AssertionError(f"never received; got {[(r.path, r.body[:200]) for r in receiver.requests]}")
        await asyncio.sleep(0.05)


async def test_gate_opened_tells_each_destination_the_gate_facts_once(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, receiver: Receiver
) -> None:
    plan = routed((["events"], ["*"]), (["chat"], ["gate-opened"]))
    async with migration(time_skipping_env, tmp_path, plan, notifications=worker_config(receiver)) as h:
        status = await h.at_gate("uat")
        await received(receiver, lambda r: bool(r.at(EVENTS)) and bool(r.at(CHAT)))
        wf = h.handle.id
        gate = status.open_gate
        assert gate is not None and gate.opened_at is not None and gate.deadline is not None
        assert gate.note == f"UAT on green: {UAT_ROUTE}"
        command = f"cutover approve {wf} --gate uat --as YOUR_NAME"
        assert gate.deadline == gate.opened_at + timedelta(hours=4)
        title = f"Approval needed at gate uat: {wf}"
        body = (
            "gate uat waits for one of alice, bob\n"
            f"Migration: {wf} (plan shop-to-fargate) · {when(gate.opened_at)}\n"
            "May approve: alice, bob\n"
            "Approvals: 0 of 1\n"
            f"Deadline: {when(gate.deadline)}\n"
            f"To approve: {command}\n"
            f"Testers reach green: UAT on green: {UAT_ROUTE}\n"
            f"Temporal UI: {UI}/namespaces/{NAMESPACE}/workflows/{wf}"
        )

        (posted,) = receiver.at(EVENTS)
        assert (posted.method, posted.headers["content-type"]) == ("POST", "application/cloudevents+json")
        assert posted.headers["user-agent"] == "cutover"
        assert posted.json() == {
            "specversion": "1.0",
            "id": f"{wf}/1",
            "source": f"cutover/{NAMESPACE}/{wf}",
            "type": "io.cutover.gate-opened",
            "time": iso(gate.opened_at),
            "subject": wf,
            "datacontenttype": "application/json",
            "data": {
                "key": f"{wf}/1",
                "kind": "gate-opened",
                "migration": wf,
                "plan": "shop-to-fargate",
                "time": iso(gate.opened_at),
                "actor": "cutover",
                "message": "gate uat waits for one of alice, bob",
                "verified": None,
                "gate": "uat",
                "approvers": ["alice", "bob"],
                "approved_by": [],
                "needed": 1,
                "deadline": iso(gate.deadline),
                "command": command,
                "how_to_reach_green": f"UAT on green: {UAT_ROUTE}",
                "evidence": [],
                "review_location": None,
                "title": title,
                "text": body,
            },
        }
        (chat,) = receiver.at(CHAT)
        assert (chat.method, chat.headers["content-type"]) == ("POST", "application/json")
        assert chat.json() == {"text": f"{title}\r\n{body}", "username": "cutover"}

        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert notification_lines(result) == []

    events = cloud_events(receiver)
    keys = [event["id"] for event in events]
    assert keys == [f"{wf}/{n}" for n in range(1, len(keys) + 1)], "each key once, in the run's order"
    assert kinds(events) == ["gate-opened"] * 3 + ["succeeded", "review-written"]
    assert [event["data"]["gate"] for event in events[:3]] == HAPPY_GATES
    assert [event["data"]["command"] for event in events[:3]] == [
        f"cutover approve {wf} --gate {name} --as YOUR_NAME" for name in HAPPY_GATES
    ]
    assert [event["data"]["how_to_reach_green"] for event in events[:3]] == [f"UAT on green: {UAT_ROUTE}"] + [
        None
    ] * 2
    succeeded, review = events[3:]
    assert succeeded["data"]["message"] == "migration shop-to-fargate succeeded: green serves it all"
    assert review["data"]["review_location"] == result.report_path
    assert review["data"]["message"] == f"post-release review written to {result.report_path}"
    assert all(event["type"] == f"io.cutover.{event['data']['kind']}" for event in events)

    # Mattermost had the gate-opened ones alone, each once, with the key's facts.
    chats = [request.json()["text"] for request in receiver.at(CHAT)]
    assert [text.split("\r\n", 1)[0] for text in chats] == [
        f"Approval needed at gate {name}: {wf}" for name in HAPPY_GATES
    ]
    assert len(set(chats)) == 3
    assert {request.path for request in receiver.requests} == {EVENTS, CHAT}
    ledger = FileLedger(tmp_path / "reports" / NOTIFICATIONS_SENT)
    assert all(ledger.sent(key, "events") for key in keys)
    assert [ledger.sent(key, "chat") for key in keys] == [True] * 3 + [False] * 2


async def test_a_rejected_gate_tells_of_the_rollback_and_its_reason(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, receiver: Receiver
) -> None:
    plan = routed((["events"], ["*"]))
    async with migration(time_skipping_env, tmp_path, plan, notifications=worker_config(receiver)) as h:
        await h.at_gate("uat")
        await decide(h, "reject", "uat", "bob", "checkout totals are wrong")
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    reason = "gate uat rejected by bob: checkout totals are wrong"
    assert reason in result.outcome_reason

    events = cloud_events(receiver)
    assert kinds(events) == ["gate-opened", "rollback-started", "rollback-finished", "review-written"]
    started, finished = events[1]["data"], events[2]["data"]
    assert started["message"] == f"rolling back: {result.outcome_reason}"
    assert reason in started["title"] + started["text"]
    assert finished["message"] == "rolled back: blue serves everything it served before"
    assert started["gate"] is None and started["command"] is None, "no gate facts once it is decided"
    assert len({event["id"] for event in events}) == len(receiver.at(EVENTS)) == 4
    assert notification_lines(result) == []


async def test_a_destination_answering_500_forever_costs_a_timeline_line_not_the_migration(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.statuses[BROKEN] = 500
    plan = routed((["broken", "events"], ["*"]))
    async with migration(time_skipping_env, tmp_path, plan, notifications=worker_config(receiver)) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason

    expected = ["gate-opened"] * 3 + ["succeeded", "review-written"]
    assert kinds(cloud_events(receiver)) == expected, "the broken one stopped no other"
    why = f"broken: CloudEvents to http://{receiver.base}: answered HTTP 500 Internal Server Error"
    assert sorted(notification_lines(result)) == sorted(
        f"{kind} not delivered after retries: {why}" for kind in expected
    )
    # NOTIFY's six attempts each, always the same CloudEvent id; the good destination had each once.
    attempts = Counter(request.json()["id"] for request in receiver.at(BROKEN))
    assert set(attempts.values()) == {6} and len(attempts) == len(expected)
    assert Counter(request.json()["id"] for request in receiver.at(EVENTS)) == Counter(set(attempts))


async def test_a_destination_the_worker_does_not_know_is_a_timeline_line(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, receiver: Receiver
) -> None:
    plan = routed((["events"], ["*"]), (["nowhere"], ["gate-opened"]))
    async with migration(time_skipping_env, tmp_path, plan, notifications=worker_config(receiver)) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    unknown = "no destination named nowhere in the worker's notifications config"
    assert notification_lines(result) == [f"gate-opened not delivered to nowhere: {unknown}"] * 3
    assert kinds(cloud_events(receiver)) == ["gate-opened"] * 3 + ["succeeded", "review-written"]
    assert len(receiver.at(EVENTS)) == 5, "nothing retried: a permanent failure is told at once"


async def test_a_gate_left_open_is_reminded_of_before_it_times_out(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, receiver: Receiver
) -> None:
    gates = {"require": ["uat"], "approvers": ["alice", "bob"], "timeout": "2h", "on_timeout": "rollback"}
    notify = {"routes": [{"to": ["events"], "events": ["*"]}], "remind_before": "30m"}
    plan = make_plan(gates=gates, notify=notify)
    async with migration(time_skipping_env, tmp_path, plan, notifications=worker_config(receiver)) as h:
        opened = await h.at_gate("uat")
        result = await h.handle.result()  # nobody decides: time skips to the timeout
    assert result.outcome == Outcome.ROLLED_BACK
    assert "gate uat timed out" in result.outcome_reason
    gate = opened.open_gate
    assert gate is not None and gate.deadline is not None

    events = cloud_events(receiver)
    assert kinds(events) == [
        "gate-opened",
        "gate-reminder",
        "gate-timed-out",
        "rollback-started",
        "rollback-finished",
        "review-written",
    ]
    reminder, timed_out = events[1]["data"], events[2]["data"]
    assert reminder["message"] == "gate uat times out in 30m"
    reminded = datetime.fromisoformat(reminder["time"])
    timed_out_at = datetime.fromisoformat(timed_out["time"])
    # Server time: the timers fire when due, give or take the test server's milliseconds.
    assert abs(reminded - (gate.deadline - timedelta(minutes=30))) < timedelta(minutes=1)
    assert abs(timed_out_at - gate.deadline) < timedelta(minutes=1)
    assert (reminder["gate"], reminder["deadline"], reminder["needed"]) == ("uat", iso(gate.deadline), 1)
    assert reminder["command"] == f"cutover approve {h.handle.id} --gate uat --as YOUR_NAME"
    assert (timed_out["gate"], timed_out["message"]) == ("uat", "gate uat timed out; rolling back")
    assert notification_lines(result) == []
