"""What a check found: small (it crosses the activity boundary and enters the timeline, the status,
the Web UI's details and the review), and never a secret (only what the check itself reports)."""

from enum import StrEnum

from pydantic import BaseModel, Field

from cutover.text import clip

EXCERPT_CHARS = 2_000  # a log tail or a response body, as evidence


class CheckVerdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"  # green (or the comparison) is not good enough
    ERROR = "error"  # the check could not tell: a target that does not answer, a Job that never ran


class CheckResult(BaseModel):
    check: str
    kind: str
    verdict: CheckVerdict
    summary: str = Field(description="one line: what was measured against what was expected")
    figures: dict[str, float] = Field(default_factory=dict, description="e.g. green_p99_ms, error_rate")
    duration_s: float = 0
    excerpt: str = Field(default="", description="a bounded tail of the evidence (log, body)")
    awaiting: str | None = Field(
        default=None, description="a webhook delivered, its verdict to come: its callback token's SHA-256"
    )

    @property
    def passed(self) -> bool:
        return self.verdict is CheckVerdict.PASS

    def evidence(self) -> list[str]:
        """What a notification shows of it: its figures, then the tail of its evidence, line by line."""
        figures = [f"{name}: {value:g}" for name, value in self.figures.items()]
        return [*figures, *(line for line in self.excerpt.splitlines() if line.strip())]


def found(
    check: str,
    kind: str,
    verdict: CheckVerdict,
    summary: str,
    seconds: float,
    figures: dict[str, float] | None = None,
    evidence: str = "",
) -> CheckResult:
    """A result as every kind reports one: its summary on one line, the tail of its evidence."""
    return CheckResult(
        check=check,
        kind=kind,
        verdict=verdict,
        summary=one_line(summary),
        figures=figures or {},
        duration_s=round(seconds, 3),
        excerpt=excerpt(evidence),
    )


def excerpt(text: str) -> str:
    """The last EXCERPT_CHARS of text, saying how much came before."""
    if len(text) <= EXCERPT_CHARS:
        return text
    return f"({len(text) - EXCERPT_CHARS} earlier characters) " + text[-EXCERPT_CHARS:]


def one_line(text: str, limit: int = 300) -> str:
    return clip(" ".join(text.split()), limit)
