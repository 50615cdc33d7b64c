"""What a signed gate decision says, as the exact bytes that are signed.

A signature proves who signed some bytes; the claim makes those bytes say which decision they are
for (migration, run, gate, verb, signer) and until when, so a signature cannot be replayed on another
gate, another migration, a later run of the same workflow id, or next week. Pure (no I/O): the
workflow checks a claim against the decision it receives with `claim_problem`.
"""

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator, model_validator

# The `-n` of `ssh-keygen -Y sign/verify`: a signature made for another purpose (git commits, files)
# does not verify as a cutover decision.
SIGNATURE_NAMESPACE = "cutover"
# A signature is for a decision about to be sent, not a standing approval.
MAX_VALIDITY = timedelta(hours=24)
# Longer than any workflow id, run id, gate name or principal has a use (Temporal's ids stop at 1000).
MAX_FIELD = 1000
MAX_MESSAGE = 8192

_HEADER = "cutover-decision v1"
_TEXT_FIELDS = ("migration", "run", "gate", "decision", "signer")
_FIELDS = (*_TEXT_FIELDS, "expires")
_EXPIRES_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_EXPIRES_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
# Control characters, line and paragraph separators, and format characters (bidi overrides,
# zero-width spaces): anything that could end a line or make two different values look alike.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}

Decision = Literal["approve", "reject"]


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_problem(name: str, value: str) -> str | None:
    """Why value cannot be field name of a claim's message, or None."""
    if not value:
        return f"{name} is empty"
    if len(value) > MAX_FIELD:
        return f"{name} is longer than {MAX_FIELD} characters"
    if value != value.strip():
        return f"{name} {_shown(value)} starts or ends with a space"
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return f"{name} {_shown(value)} contains a control character (U+{ord(char):04X})"
    return None


def _expires_text(expires: datetime) -> str:
    return expires.astimezone(UTC).strftime(_EXPIRES_FORMAT)


class DecisionClaim(BaseModel):
    """One decision on one gate of one run of one migration, by one signer, until `expires`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    migration: str  # the workflow id
    run: str  # the migration's first run id: a later migration reusing the workflow id is another one
    gate: str
    decision: Decision
    signer: str  # the principal in allowed_signers, which is the decision's sender
    expires: AwareDatetime  # UTC, whole seconds (the message has no more)

    @field_validator("expires")
    @classmethod
    def _utc_seconds(cls, value: datetime) -> datetime:
        return value.astimezone(UTC).replace(microsecond=0)

    @model_validator(mode="after")
    def _printable(self) -> "DecisionClaim":
        problem = self._problem()
        if problem is not None:
            raise ValueError(problem)
        return self

    def _problem(self) -> str | None:
        for name in _TEXT_FIELDS:
            problem = _field_problem(name, getattr(self, name))
            if problem is not None:
                return problem
        return None

    def to_message(self) -> bytes:
        """The canonical text that is signed: one `name: value` line a field, in a fixed order."""
        problem = self._problem()  # again: model_construct skips the validators
        if problem is not None:
            raise ValueError(problem)
        lines = [_HEADER, *(f"{name}: {getattr(self, name)}" for name in _TEXT_FIELDS)]
        lines.append(f"expires: {_expires_text(self.expires)}")
        return ("\n".join(lines) + "\n").encode()

    @classmethod
    def from_message(cls, message: bytes) -> "DecisionClaim":
        """The claim whose to_message() is exactly message; ValueError saying what is wrong otherwise."""
        if len(message) > MAX_MESSAGE:
            raise ValueError(f"the message is longer than {MAX_MESSAGE} bytes")
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("the message is not UTF-8 text") from None
        if not text.endswith("\n"):
            raise ValueError("the message does not end with a newline")
        lines = text[:-1].split("\n")
        if lines[0] != _HEADER:
            raise ValueError(f"the message does not start with {_HEADER!r}: {_shown(lines[0])}")
        if len(lines) != 1 + len(_FIELDS):
            raise ValueError(f"the message has {len(lines) - 1} field lines, not {len(_FIELDS)}")
        values: dict[str, Any] = {}
        for number, (name, line) in enumerate(zip(_FIELDS, lines[1:], strict=True), start=2):
            prefix = f"{name}: "
            if not line.startswith(prefix):
                raise ValueError(f"line {number} of the message is not '{name}: ...': {_shown(line)}")
            value = line.removeprefix(prefix)
            problem = _field_problem(name, value)
            if problem is not None:
                raise ValueError(problem)
            values[name] = value
        if values["decision"] not in ("approve", "reject"):
            raise ValueError(f"decision {_shown(values['decision'])} is neither 'approve' nor 'reject'")
        values["expires"] = _parse_expires(values["expires"])
        claim = cls(**values)
        if claim.to_message() != message:  # cannot happen after the checks above; a last guard
            raise ValueError("the message is not in canonical form")
        return claim


def _parse_expires(text: str) -> datetime:
    if _EXPIRES_TEXT.fullmatch(text) is None:
        raise ValueError(f"expires {_shown(text)} is not a UTC time like 2026-12-03T10:00:00Z")
    try:
        return datetime.strptime(text, _EXPIRES_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"expires {_shown(text)} is not a valid date and time") from None


def claim_problem(
    claim: DecisionClaim,
    *,
    migration: str,
    run: str,
    gate: str,
    decision: str,
    signer: str,
    now: datetime,
) -> str | None:
    """Why a (verified) claim does not authorise this decision at `now`, in one line; None if it does."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    expected = {"migration": migration, "run": run, "gate": gate, "decision": decision, "signer": signer}
    for name, value in expected.items():
        signed = getattr(claim, name)
        if signed != value:
            return f"the signature is for {name} {_shown(signed)}, not {_shown(value)}"
    if now >= claim.expires:
        return f"the signature expired at {_expires_text(claim.expires)}"
    if claim.expires - now > MAX_VALIDITY:
        return (
            f"the signature's expiry ({_expires_text(claim.expires)}) is more than "
            f"{_hours(MAX_VALIDITY)} ahead"
        )
    return None


def _hours(duration: timedelta) -> str:
    return f"{int(duration.total_seconds() // 3600)}h"
