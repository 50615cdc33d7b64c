"""What one look at the metrics gives: counts, not rates, so the evidence says what it rests on."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Side:
    """One environment's traffic in one window.

    `slow` and `slow_over_limit` count the latency samples slower than the look's thresholds
    (LatencyThresholds); None where the source gives no latency counts (then only the p99 is known).
    """

    requests: int
    errors: int
    p99_ms: float | None = None  # None when the window had no latency samples
    latency_samples: int = 0
    slow: int | None = None
    slow_over_limit: int | None = None

    def __post_init__(self) -> None:
        if self.requests < 0 or not 0 <= self.errors <= self.requests:
            raise ValueError(
                f"counts must satisfy 0 <= errors <= requests, got {self.errors}/{self.requests}"
            )
        for name, slow in (("slow", self.slow), ("slow_over_limit", self.slow_over_limit)):
            if slow is not None and not 0 <= slow <= self.latency_samples:
                raise ValueError(f"{name} must be within 0..{self.latency_samples} samples, got {slow}")


@dataclass(frozen=True)
class Window:
    """Green and blue over the same interval."""

    green: Side
    blue: Side


@dataclass(frozen=True)
class LatencyThresholds:
    """What a look counts latency samples against: blue's recent p99 (green vs blue; None: not
    asked) and the plan's max_p99_latency_ms (green's own limit)."""

    compare_ms: float | None
    limit_ms: float


@dataclass(frozen=True)
class Baseline:
    """An environment's recent traffic, period by period, oldest first: what the analysis learns
    the metrics' noise from before a step starts.

    `compare_ms` is the environment's p99 over the whole span, the threshold each period's `slow`
    counts against (None where the source gives no latency counts).
    """

    periods: tuple[Side, ...]
    period_seconds: float
    compare_ms: float | None = None
