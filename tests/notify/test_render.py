"""The messages: a title line and the facts, every value escaped for chat markup, overridable per kind."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cutover.notify.config import NotificationsConfigError
from cutover.notify.events import Notification, NotificationKind
from cutover.notify.render import check_templates, render, sample_notification

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def gate_opened(**changes: object) -> Notification:
    facts: dict[str, object] = {
        "key": "cutover-orders:2026/3",
        "kind": NotificationKind.GATE_OPENED,
        "migration": "cutover-orders:2026",
        "plan": "orders",
        "time": NOW,
        "message": "Gate uat opened: 2 approvals needed",
        "gate": "uat",
        "approvers": ["alice", "bob", "carol"],
        "approved_by": ["alice"],
        "needed": 2,
        "deadline": datetime(2026, 5, 2, 9, 30, tzinfo=UTC),
        "command": "cutover approve cutover-orders:2026 --gate uat",
        "how_to_reach_green": "Send the header X-Cutover-Green: 1",
    }
    return Notification.model_validate(facts | changes)


def test_gate_opened_says_who_how_many_until_when_and_how() -> None:
    title, body = render(gate_opened(), None, "https://temporal.example.com", "prod")
    assert title == "Approval needed at gate uat: cutover-orders:2026"
    assert body == (
        "Gate uat opened: 2 approvals needed\n"
        "Migration: cutover-orders:2026 (plan orders) · 2026-05-01 12:00 UTC\n"
        "May approve: alice, bob, carol\n"
        "Approvals: 1 of 2 so far: alice\n"
        "Deadline: 2026-05-02 09:30 UTC\n"
        "To approve: cutover approve cutover-orders:2026 --gate uat\n"
        "Testers reach green: Send the header X-Cutover-Green: 1\n"
        "Temporal UI: https://temporal.example.com/namespaces/prod/workflows/cutover-orders%3A2026"
    )


def test_a_plain_kind_shows_only_the_facts_it_has() -> None:
    notification = Notification(
        key="m/9",
        kind=NotificationKind.CHECK_FAILED,
        migration="m",
        plan="orders",
        time=NOW,
        message="Check smoke failed at step 2",
        evidence=["GET /health: 503", "p99 900ms > 500ms"],
    )
    assert render(notification, None, None, "default") == (
        "A check failed: m",
        "Check smoke failed at step 2\n"
        "Migration: m (plan orders) · 2026-05-01 12:00 UTC\n"
        "Evidence:\n"
        "• GET /health: 503\n"
        "• p99 900ms &gt; 500ms",
    )


def test_a_decision_says_whether_its_sender_was_verified() -> None:
    refused = gate_opened(kind="decision-refused", actor="mallory", verified=False, needed=None)
    title, body = render(refused, None, None, "default")
    assert title == "A decision at gate uat was refused: cutover-orders:2026"
    assert "Sent by: mallory (NOT verified)" in body.splitlines()


def test_every_kind_has_a_default() -> None:
    sample = sample_notification()
    for kind in NotificationKind:
        title, body = render(sample.model_copy(update={"kind": kind}), None, None, "default")
        assert title and body.startswith("Gate uat opened"), kind


def test_every_value_is_escaped_for_chat_markup() -> None:
    notification = gate_opened(
        actor="<!channel>",
        verified=True,
        gate="<b>&</b>",
        approvers=["<@U123>", "a&b"],
        how_to_reach_green="<https://evil.example|click me>",
    )
    title, body = render(notification, None, None, "default")
    assert title == "Approval needed at gate &lt;b&gt;&amp;&lt;/b&gt;: cutover-orders:2026"
    assert "Sent by: &lt;!channel&gt; (verified)" in body.splitlines()
    assert "May approve: &lt;@U123&gt;, a&amp;b" in body.splitlines()
    assert "Testers reach green: &lt;https://evil.example|click me&gt;" in body.splitlines()
    assert "<" not in title + body and ">" not in title + body
    # Unescaped on request, for a sender that escapes for its service itself
    assert "Sent by: <!channel> (verified)" in render(notification, None, None, "d", escape=False)[1]


def test_an_override_folder_replaces_a_kind_and_may_include_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "gate-opened.j2").write_text(
        "🚦 {{ plan }} waits for {{ needed - approved_by|length }} more at {{ gate }}\n"
        "Ask {{ approvers|join(' or ') }}.\n"
        '{% include "_facts.j2" %}\n'
    )
    title, body = render(gate_opened(approvers=["alice", "<bob>"]), tmp_path, None, "default")
    assert title == "🚦 orders waits for 1 more at uat"
    assert body.splitlines()[:2] == ["Ask alice or &lt;bob&gt;.", "Gate uat opened: 2 approvals needed"]
    # The other kinds keep their defaults
    assert render(gate_opened(kind="paused"), tmp_path, None, "default")[0] == "Paused: cutover-orders:2026"
    check_templates(tmp_path)


def test_a_broken_override_is_a_config_error_naming_its_file(tmp_path: Path) -> None:
    broken = tmp_path / "gate-opened.j2"
    broken.write_text("Gate {{ gate }\n")
    with pytest.raises(NotificationsConfigError) as caught:
        render(gate_opened(), tmp_path, None, "default")
    assert str(caught.value) == f"notifications.templates: {broken}: line 1: unexpected '}}'"
    with pytest.raises(NotificationsConfigError, match=f"{broken}: line 1"):
        check_templates(tmp_path)

    broken.write_text("Gate {{ gaet }}\n")
    with pytest.raises(NotificationsConfigError) as caught:
        render(gate_opened(), tmp_path, None, "default")
    assert str(caught.value) == f"notifications.templates: {broken}: 'gaet' is undefined"

    broken.write_text("{{ message if false else '' }}\n")
    with pytest.raises(NotificationsConfigError, match=f"{broken}: renders no title"):
        render(gate_opened(), tmp_path, None, "default")


def test_the_folder_is_checked_at_the_start(tmp_path: Path) -> None:
    with pytest.raises(
        NotificationsConfigError, match=f"notifications.templates: {tmp_path / 'none'} is not"
    ):
        check_templates(tmp_path / "none")
    (tmp_path / "gate-open.j2").write_text("typo\n")
    with pytest.raises(NotificationsConfigError, match="gate-open.j2: names no notification kind"):
        check_templates(tmp_path)
    (tmp_path / "gate-open.j2").unlink()
    (tmp_path / "_partial.j2").write_text("shared\n")
    check_templates(tmp_path)
