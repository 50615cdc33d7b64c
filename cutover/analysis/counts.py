"""What one look at the metrics gives: counts, not rates, so the evidence says what it rests on."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Side:
    """One environment's traffic in one window."""

    requests: int
    errors: int
    p99_ms: float | None = None  # None when the window had no latency samples
    latency_samples: int = 0

    def __post_init__(self) -> None:
        if self.requests < 0 or not 0 <= self.errors <= self.requests:
            raise ValueError(
                f"counts must satisfy 0 <= errors <= requests, got {self.errors}/{self.requests}"
            )


@dataclass(frozen=True)
class Window:
    """Green and blue over the same interval."""

    green: Side
    blue: Side
