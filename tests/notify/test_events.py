"""A notification stays a small, one-line-per-fact payload whatever its senders and checks wrote."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from cutover.notify.events import (
    EVIDENCE_KEPT,
    LINE_MAX,
    NAMES_KEPT,
    Notification,
    NotificationKind,
    NotifyRequest,
    notification_key,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_the_kinds_are_the_templates_names() -> None:
    assert [str(kind) for kind in NotificationKind] == [
        "gate-opened",
        "gate-reminder",
        "gate-timed-out",
        "decision-refused",
        "check-failed",
        "analysis-failed",
        "rollback-started",
        "rollback-finished",
        "undo-stuck",
        "paused",
        "resumed",
        "frozen",
        "succeeded",
        "review-written",
    ]


def test_texts_are_clipped_and_one_line_facts_lose_their_line_breaks() -> None:
    notification = Notification(
        key=notification_key("orders-1", 7),
        kind=NotificationKind.GATE_OPENED,
        migration="orders-1",
        plan="orders",
        time=NOW,
        actor="mallory\nApproved by: admin",
        message="x" * 5000,
        approvers=[f"person-{n}" for n in range(50)],
        evidence=["a\tb"] * 30,
        how_to_reach_green="line one\nline two",
    )
    assert notification.key == "orders-1/7"
    assert notification.actor == "mallory Approved by: admin"
    assert len(notification.message) == 500 and notification.message.endswith("…")
    assert len(notification.approvers) == NAMES_KEPT
    assert notification.approvers[-1] == f"… and {50 - NAMES_KEPT + 1} more"
    assert len(notification.evidence) == EVIDENCE_KEPT and notification.evidence[0] == "a b"
    assert notification.how_to_reach_green == "line one\nline two"
    assert len(Notification.model_validate({**notification.model_dump(), "plan": "p" * 999}).plan) == LINE_MAX


def test_times_must_be_aware() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Notification(
            key="m/1",
            kind=NotificationKind.PAUSED,
            migration="m",
            plan="p",
            time=datetime(2026, 5, 1),
            message="m",
        )


def test_a_request_round_trips_as_json() -> None:
    request = NotifyRequest(
        notification=Notification(
            key="m/1",
            kind=NotificationKind.PAUSED,
            migration="m",
            plan="p",
            time=NOW,
            message="Paused",
            deadline=NOW,
        ),
        destinations=["ops"],
    )
    assert NotifyRequest.model_validate_json(request.model_dump_json()) == request
