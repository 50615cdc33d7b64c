"""A webhook's callback: a CI system that ran its suite answers later with a verdict and a summary.

It answers through the migration's `check_callback` Update (`cutover callback`, or the raw `temporal
workflow update`), with the token its delivery carried. The workflow never holds the token or the
secret that made it: the worker hands it only the token's SHA-256 (`token_digest`), and the Update's
validator refuses any callback whose token does not hash to it, before it reaches the history.
Free of httpx, so the workflows can load it.
"""

import hashlib
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cutover.checks.results import CheckResult, CheckVerdict, found
from cutover.plan.checks import Name, PlainUrl

KIND = "webhook"
REDACTED = "[redacted]"


class WebhookCallback(BaseModel):
    """What the receiver sends back for one check awaiting its verdict."""

    model_config = ConfigDict(extra="forbid")

    check: Name = Field(description="the check's name, as the delivery's context said")
    token: str = Field(min_length=1, max_length=256, repr=False)
    verdict: Literal["pass", "fail"]
    summary: str = Field(default="", max_length=300)
    details_url: PlainUrl | None = None


def token_digest(token: str) -> str:
    """What the workflow keeps of a callback token: enough to recognise it, never enough to forge it."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def callback_result(callback: WebhookCallback, seconds: float = 0.0) -> CheckResult:
    """The check's result from a callback whose token was verified: its verdict and summary, the
    details link as evidence; never the token."""
    verdict = CheckVerdict.PASS if callback.verdict == "pass" else CheckVerdict.FAIL
    said = scrubbed(callback.summary, [callback.token])
    summary = f"callback: {said}" if said.strip() else f"callback: {verdict}"
    details = f"details: {scrubbed(callback.details_url, [callback.token])}" if callback.details_url else ""
    return found(callback.check, KIND, verdict, summary, seconds, evidence=details)


def scrubbed(text: str, hidden: Iterable[str]) -> str:
    """text without any of the hidden values (longest first, so none is left half-replaced)."""
    for value in sorted({v for v in hidden if v}, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text
