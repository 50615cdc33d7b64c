"""Delivery to real receivers on 127.0.0.1: the exact requests, once per destination, and failures
that stop nothing and show no secret."""

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from cutover.notify.config import NotificationsConfig
from cutover.notify.delivery import deliver
from cutover.notify.events import DeliveryFailure, Notification, NotifyRequest
from cutover.notify.ledger import FileLedger
from tests.notify.conftest import Receiver, closed_port

NAMESPACE = "prod"
SECRET = "T0KEN-s3cret"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
WHY = ": Apprise's warning in the worker's log says why"


def notification(**changes: object) -> Notification:
    facts: dict[str, object] = {
        "key": "cutover-orders:2026/3",
        "kind": "gate-opened",
        "migration": "cutover-orders:2026",
        "plan": "orders",
        "time": NOW,
        "message": "Gate uat opened",
        "gate": "uat",
        "approvers": ["alice", "bob"],
        "needed": 1,
        "command": "cutover approve cutover-orders:2026 --gate uat",
    }
    return Notification.model_validate(facts | changes)


def config(destinations: dict[str, dict[str, Any]], **more: Any) -> NotificationsConfig:
    return NotificationsConfig.model_validate({"destinations": destinations, **more})


def request(*destinations: str, **changes: object) -> NotifyRequest:
    return NotifyRequest(notification=notification(**changes), destinations=list(destinations))


TITLE = "Approval needed at gate uat: cutover-orders:2026"
BODY = (
    "Gate uat opened\n"
    "Migration: cutover-orders:2026 (plan orders) · 2026-05-01 12:00 UTC\n"
    "May approve: alice, bob\n"
    "Approvals: 0 of 1\n"
    "To approve: cutover approve cutover-orders:2026 --gate uat"
)
LINK = "Temporal UI: https://temporal.example.com/namespaces/prod/workflows/cutover-orders%3A2026"


async def test_a_cloud_event_in_structured_mode(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUTOVER_TEST_EVENTS_AUTH", f"Bearer {SECRET}")
    events = {
        "cloudevents": f"http://{receiver.base}/events/in",
        "headers_from_env": {"Authorization": "CUTOVER_TEST_EVENTS_AUTH"},
    }
    settings = config({"events": events}, ui_url="https://temporal.example.com")

    assert await deliver(request("events"), settings, FileLedger(tmp_path), NAMESPACE) == []

    (received,) = receiver.requests
    assert (received.method, received.path) == ("POST", "/events/in")
    assert received.headers["content-type"] == "application/cloudevents+json"
    assert received.headers["authorization"] == f"Bearer {SECRET}"
    assert received.headers["user-agent"] == "cutover"
    assert received.json() == {
        "specversion": "1.0",
        "id": "cutover-orders:2026/3",
        "source": "cutover/prod/cutover-orders:2026",
        "type": "io.cutover.gate-opened",
        "time": "2026-05-01T12:00:00Z",
        "subject": "cutover-orders:2026",
        "datacontenttype": "application/json",
        "data": {
            "key": "cutover-orders:2026/3",
            "kind": "gate-opened",
            "migration": "cutover-orders:2026",
            "plan": "orders",
            "time": "2026-05-01T12:00:00Z",
            "actor": "cutover",
            "message": "Gate uat opened",
            "verified": None,
            "gate": "uat",
            "approvers": ["alice", "bob"],
            "approved_by": [],
            "needed": 1,
            "deadline": None,
            "command": "cutover approve cutover-orders:2026 --gate uat",
            "how_to_reach_green": None,
            "evidence": [],
            "review_location": None,
            "title": TITLE,
            "text": f"{BODY}\n{LINK}",
        },
    }


async def test_mattermost_through_apprise_gets_the_escaped_message(
    receiver: Receiver, tmp_path: Path
) -> None:
    """Mattermost's incoming webhooks take Slack's payload; the message's values arrive escaped."""
    settings = config(
        {"chat": {"apprise": f"mmost://{receiver.base}/{SECRET}?image=no"}},
        ui_url="https://temporal.example.com",
    )
    assert await deliver(request("chat"), settings, FileLedger(tmp_path), NAMESPACE) == []
    mention = request("chat", key="cutover-orders:2026/4", actor="<!channel> & co", verified=True)
    assert await deliver(mention, settings, FileLedger(tmp_path), NAMESPACE) == []

    first, second = receiver.requests
    assert (first.method, first.path) == ("POST", f"/hooks/{SECRET}")
    assert first.headers["content-type"] == "application/json"
    assert first.json() == {"text": f"{TITLE}\r\n{BODY}\n{LINK}", "username": "cutover"}
    assert "Sent by: &lt;!channel&gt; &amp; co (verified)" in second.json()["text"].splitlines()
    assert "<!channel>" not in second.body.decode()


async def test_apprise_json_gets_title_and_message(receiver: Receiver, tmp_path: Path) -> None:
    settings = config({"hook": {"apprise": f"json://{receiver.base}/notify/cutover"}})
    assert await deliver(request("hook", gate="<uat>"), settings, FileLedger(tmp_path), NAMESPACE) == []

    (received,) = receiver.requests
    assert (received.method, received.path) == ("POST", "/notify/cutover")
    assert received.json() == {
        "version": "1.0",
        "title": "Approval needed at gate &lt;uat&gt;: cutover-orders:2026",
        "message": BODY,
        "attachments": [],
        "type": "info",
    }


async def test_slack_escapes_plain_text_itself_so_it_gets_the_values_unescaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apprise's Slack posts to hooks.slack.com only: the request is caught on its way out."""
    posted: list[dict[str, Any]] = []

    class Accepted:
        status_code = 200
        content = b"ok"
        text = "ok"
        headers: dict[str, str] = {}

    def post(*args: Any, data: str = "", **kwargs: Any) -> Accepted:
        posted.append(json.loads(data))
        return Accepted()

    monkeypatch.setattr(requests, "request", post)
    settings = config({"slack": {"apprise": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"}})
    mention = request("slack", actor="<!channel> & co", verified=True, gate="<uat>")
    assert await deliver(mention, settings, FileLedger(tmp_path), NAMESPACE) == []

    (attachment,) = posted[0]["attachments"]
    assert attachment["title"] == "Approval needed at gate &lt;uat&gt;: cutover-orders:2026"
    assert "Sent by: &lt;!channel&gt; &amp; co (verified)" in attachment["text"].splitlines()


async def test_each_destination_gets_a_notification_once(receiver: Receiver, tmp_path: Path) -> None:
    settings = config(
        {
            "events": {"cloudevents": f"http://{receiver.base}/events"},
            "chat": {"apprise": f"mmost://{receiver.base}/chat-token?image=no"},
        }
    )
    ledger = FileLedger(tmp_path / "ledger")
    both = request("events", "chat", "events")
    assert await deliver(both, settings, ledger, NAMESPACE) == []
    assert await deliver(both, settings, ledger, NAMESPACE) == []
    assert sorted(r.path for r in receiver.requests) == ["/events", "/hooks/chat-token"]
    # The next notification is another key
    assert await deliver(request("events", key="cutover-orders:2026/4"), settings, ledger, NAMESPACE) == []
    assert len(receiver.at("/events")) == 2
    assert sorted(p.name for p in (tmp_path / "ledger").rglob("*") if p.is_file()) == [
        "cutover-orders:2026%2F3",
        "cutover-orders:2026%2F3",
        "cutover-orders:2026%2F4",
    ]


async def test_a_failing_destination_stops_no_other_and_is_retried_alone(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.statuses["/broken"] = 500
    closed = closed_port()
    settings = config(
        {
            "broken": {"cloudevents": f"http://{receiver.base}/broken"},
            "closed": {"cloudevents": f"http://127.0.0.1:{closed}/events"},
            "closed-chat": {"apprise": f"mmost://127.0.0.1:{closed}/chat-token"},
            "chat-500": {"apprise": f"json://{receiver.base}/broken"},
            "fine": {"cloudevents": f"http://{receiver.base}/fine"},
        }
    )
    ledger = FileLedger(tmp_path)
    everyone = request("broken", "closed", "closed-chat", "chat-500", "fine", "nowhere")

    failures = await deliver(everyone, settings, ledger, NAMESPACE)

    assert failures == [
        DeliveryFailure(
            destination="broken",
            reason=f"CloudEvents to http://{receiver.base}: answered HTTP 500 Internal Server Error",
        ),
        DeliveryFailure(
            destination="closed",
            reason=f"CloudEvents to http://127.0.0.1:{closed}: could not connect (ConnectError)",
        ),
        DeliveryFailure(
            destination="closed-chat",
            reason=f"Apprise mmost://…: Mattermost did not accept it (FAILURE){WHY}",
        ),
        DeliveryFailure(
            destination="chat-500",
            reason=f"Apprise json://…: JSON did not accept it (FAILURE){WHY}",
        ),
        DeliveryFailure(
            destination="nowhere",
            reason="no destination named nowhere in the worker's notifications config",
            permanent=True,
        ),
    ]
    assert len(receiver.at("/fine")) == 1

    receiver.statuses["/broken"] = 200
    failures = await deliver(everyone, settings, ledger, NAMESPACE)
    assert [f.destination for f in failures] == ["closed", "closed-chat", "nowhere"]
    assert len(receiver.at("/fine")) == 1
    assert len(receiver.at("/broken")) == 4  # CloudEvents and JSON, each a failure then a success


async def test_a_client_error_is_permanent_and_a_busy_receiver_is_not(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.statuses |= {"/gone": 404, "/busy": 429}
    settings = config(
        {
            "gone": {"cloudevents": f"http://{receiver.base}/gone"},
            "busy": {"cloudevents": f"http://{receiver.base}/busy"},
        }
    )
    failures = await deliver(request("gone", "busy"), settings, FileLedger(tmp_path), NAMESPACE)
    assert [(f.destination, f.permanent) for f in failures] == [("gone", True), ("busy", False)]


async def test_no_secret_appears_in_a_failure_or_a_warning(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)  # the worker's level for libraries
    receiver.statuses[f"/hooks/{SECRET}"] = 500
    receiver.statuses[f"/in/{SECRET}"] = 401
    monkeypatch.setenv("CUTOVER_TEST_CHAT_URL", f"mmost://{receiver.base}/{SECRET}")
    monkeypatch.setenv("CUTOVER_TEST_AUTH", f"Bearer {SECRET}")
    monkeypatch.delenv("CUTOVER_TEST_UNSET", raising=False)
    settings = config(
        {
            "chat": {"apprise_from_env": "CUTOVER_TEST_CHAT_URL"},
            "literal": {"apprise": f"json://user:{SECRET}@127.0.0.1:{closed_port()}/{SECRET}?x={SECRET}"},
            "unknown": {"apprise": f"nosuchscheme://{SECRET}@host/{SECRET}"},
            "events": {
                "cloudevents": f"http://{receiver.base}/in/{SECRET}?token={SECRET}",
                "headers_from_env": {"Authorization": "CUTOVER_TEST_AUTH"},
            },
            "closed": {
                "cloudevents": f"http://127.0.0.1:{closed_port()}/in/{SECRET}",
                "headers_from_env": {"Authorization": "CUTOVER_TEST_AUTH"},
            },
            "unset": {"apprise_from_env": "CUTOVER_TEST_UNSET"},
        }
    )
    failures = await deliver(
        request("chat", "literal", "unknown", "events", "closed", "unset"),
        settings,
        FileLedger(tmp_path),
        NAMESPACE,
    )
    assert [f.destination for f in failures] == ["chat", "literal", "unknown", "events", "closed", "unset"]
    assert [f.reason for f in failures if SECRET in f.reason] == []
    assert "Mattermost" in caplog.text and SECRET not in caplog.text
    assert [f.permanent for f in failures] == [False, False, True, True, False, True]
    assert (
        failures[2].reason
        == "Apprise nosuchscheme://…: Apprise cannot use this URL (its scheme, or a part it needs)"
    )
    assert failures[3].reason == f"CloudEvents to http://{receiver.base}: answered HTTP 401 Unauthorized"
    assert failures[5].reason == (
        "notifications.destinations.unset.apprise_from_env: "
        "CUTOVER_TEST_UNSET is not set in the worker's environment"
    )


async def test_a_broken_template_fails_every_destination_permanently(
    receiver: Receiver, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "gate-opened.j2").write_text("{{ nope }}\n")
    settings = config(
        {
            "events": {"cloudevents": f"http://{receiver.base}/events"},
            "hook": {"apprise": f"json://{receiver.base}/h"},
        },
        templates=str(templates),
    )
    failures = await deliver(request("events", "hook"), settings, FileLedger(tmp_path / "ledger"), NAMESPACE)
    reason = f"notifications.templates: {templates / 'gate-opened.j2'}: 'nope' is undefined"
    assert failures == [
        DeliveryFailure(destination="events", reason=reason, permanent=True),
        DeliveryFailure(destination="hook", reason=reason, permanent=True),
    ]
    assert receiver.requests == []
