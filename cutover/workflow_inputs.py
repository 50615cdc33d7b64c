"""Reading what a workflow is sent, from anywhere: a model, or the reason it cannot be used.

The migration's run and signal handlers take `*inputs` untyped (see cutover.temporal.payloads), so no shape
of input can fail a workflow task; this module decides what is usable and words the refusal,
naming the sender when the payload names one (clipped: a refusal record stays small whatever was
sent). A plan gets the same checks as `cutover plan validate`, history budget included.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from cutover.models import REQUEST_ID_MAX, SENDER_MAX
from cutover.plan.history_budget import history_problems
from cutover.plan.model import Plan, PlanError, parse_plan
from cutover.temporal.payloads import Unreadable
from cutover.text import clip

M = TypeVar("M", bound=BaseModel)

UNKNOWN_SENDER = "?"


@dataclass(frozen=True)
class Refused:
    reason: str
    sender: str = UNKNOWN_SENDER
    request_id: str | None = None


def read_input(inputs: Sequence[object], model: type[M], example: str) -> M | Refused:
    """The one input as `model`, or why not (with the JSON example people should send)."""
    if len(inputs) != 1:
        count = "no input" if not inputs else f"{len(inputs)} inputs"
        first = inputs[0] if inputs else None
        return Refused(f"{count}; send exactly one JSON object such as {example}", *_who(first))
    value = inputs[0]
    if isinstance(value, Unreadable):
        return Refused(
            f"unreadable {value.encoding} payload of {value.size} bytes ({value.error}); "
            f"send one JSON object such as {example}"
        )
    if not isinstance(value, dict):
        return Refused(f"expected a JSON object such as {example}, got {_shape(value)}")
    try:
        return model.model_validate(value)
    except ValidationError as error:
        return Refused(_problems(error), *_who(value))


def read_plan_input(inputs: Sequence[object], check_history: bool = True) -> Plan | str:
    """The plan a workflow was started with, or every reason it cannot run (one line). A run that
    continues a migration skips the history estimate: the plan was checked when the migration began,
    and a later release's estimate must not stop it half-way."""
    if len(inputs) != 1 or not isinstance(inputs[0], dict):
        got = f"{len(inputs)} inputs" if len(inputs) != 1 else _shape(inputs[0])
        return (
            f"expected one input, the plan as a JSON object (`cutover plan validate FILE --json`); got {got}"
        )
    try:
        plan = parse_plan(inputs[0])
    except PlanError as error:
        return _plan_refusal(error.problems)
    problems = history_problems(plan) if check_history else []
    return _plan_refusal(problems) if problems else plan


def _plan_refusal(problems: list[str]) -> str:
    return f"the plan is invalid ({len(problems)} problem(s)): " + "; ".join(problems)


def _who(value: object) -> tuple[str, str | None]:
    """The sender and request id a payload names, clipped, even when the payload is refused."""
    if not isinstance(value, dict):
        return UNKNOWN_SENDER, None
    sender, request_id = value.get("sender"), value.get("request_id")
    name = clip(sender.strip(), SENDER_MAX) if isinstance(sender, str) and sender.strip() else UNKNOWN_SENDER
    return name, request_id if isinstance(request_id, str) and 0 < len(request_id) <= REQUEST_ID_MAX else None


def _shape(value: object) -> str:
    if isinstance(value, Unreadable):
        return f"an unreadable {value.encoding} payload of {value.size} bytes ({value.error})"
    if isinstance(value, bytes):
        return f"{len(value)} bytes of binary data"
    if value is None:
        return "null"
    return f"a JSON {type(value).__name__}"


def _problems(error: ValidationError) -> str:
    """Field and problem per error, never the offending value (it may be megabytes, or a secret)."""
    parts = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "input"
        message = "missing" if item["type"] == "missing" else item["msg"]
        parts.append(f"{field}: {message}")
    return "; ".join(parts)
