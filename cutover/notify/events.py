"""What a migration tells people, as data: the workflow decides that something is worth saying and
hands a `Notification` to an activity, which renders and delivers it (cutover.notify.delivery).

Pure (stdlib and pydantic only) because workflow code imports it: nothing here may reach the
network, a file or a clock. Every text is clipped on the way in, so a notification stays a small
Temporal payload whatever a sender, a check or a plan put in it; one-line facts lose their control
characters, so a sender name cannot start a line of its own in a chat message.
"""

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel

LINE_MAX = 200  # a name, a gate, an approver, an evidence line
MESSAGE_MAX = 500  # the timeline line
COMMAND_MAX = 500  # the `cutover approve ...` command line
TEXT_MAX = 1000  # how testers reach green
NAMES_KEPT = 20  # approvers, approved_by
EVIDENCE_KEPT = 10

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line(limit: int) -> AfterValidator:
    """One line: control characters (newlines included) become a space, then cut to limit."""
    return AfterValidator(lambda text: _clip(_CONTROL.sub(" ", text).strip(), limit))


def _text(limit: int) -> AfterValidator:
    """Several lines allowed, cut to limit."""
    return AfterValidator(lambda text: _clip(text, limit))


def _kept(limit: int) -> AfterValidator:
    """The first `limit` items, and a last one saying how many more there were."""

    def keep(items: list[str]) -> list[str]:
        if len(items) <= limit:
            return items
        return [*items[: limit - 1], f"… and {len(items) - limit + 1} more"]

    return AfterValidator(keep)


Line = Annotated[str, _line(LINE_MAX)]
Message = Annotated[str, _line(MESSAGE_MAX)]
Command = Annotated[str, _line(COMMAND_MAX)]
Text = Annotated[str, _text(TEXT_MAX)]
Names = Annotated[list[Line], _kept(NAMES_KEPT)]
Evidence = Annotated[list[Line], _kept(EVIDENCE_KEPT)]


class NotificationKind(StrEnum):
    """What happened; a destination's template is chosen by it (`<kind>.j2`)."""

    GATE_OPENED = "gate-opened"
    GATE_REMINDER = "gate-reminder"
    GATE_TIMED_OUT = "gate-timed-out"
    DECISION_REFUSED = "decision-refused"
    CHECK_FAILED = "check-failed"
    ANALYSIS_FAILED = "analysis-failed"
    ROLLBACK_STARTED = "rollback-started"
    ROLLBACK_FINISHED = "rollback-finished"
    UNDO_STUCK = "undo-stuck"
    PAUSED = "paused"
    RESUMED = "resumed"
    FROZEN = "frozen"
    SUCCEEDED = "succeeded"
    REVIEW_WRITTEN = "review-written"


def notification_key(workflow_id: str, seq: int) -> str:
    """The dedupe key: the same for every retry of one notification, different for the next."""
    return f"{workflow_id}/{seq}"


class Notification(BaseModel):
    """One thing to tell people about one migration; the gate facts are set for the gate kinds only.

    `key` (notification_key) is what delivery deduplicates on and the CloudEvent's id, so a retried
    activity never posts twice. `verified` is set for decisions only: whether the decision's sender
    was authenticated (None: this is not a decision).
    """

    key: str
    kind: NotificationKind
    migration: str  # the workflow id
    plan: Line
    time: AwareDatetime
    actor: Line = "cutover"
    message: Message  # the timeline line
    verified: bool | None = None
    # Gate facts
    gate: Line | None = None
    approvers: Names = []
    approved_by: Names = []
    needed: int | None = None
    deadline: AwareDatetime | None = None
    command: Command | None = None  # the exact `cutover approve ...` command line
    how_to_reach_green: Text | None = None
    # Checks and analyses
    evidence: Evidence = []
    review_location: Line | None = None


class NotifyRequest(BaseModel):
    """The activity's input: a notification and the names of the worker's destinations to send it to."""

    notification: Notification
    destinations: list[str]


class DeliveryFailure(BaseModel):
    """A destination that did not get the notification: why, in a line with no URL or secret, and
    whether trying again can help (`permanent`: the worker's config must change first)."""

    destination: str
    reason: str
    permanent: bool = False
