"""The persistence rule on p99s, for sources that count no slow requests: no guarantee, only that one
noisy window never decides (the caller fails latency after several bad windows in a row)."""

from dataclasses import dataclass

from cutover.analysis.counts import Window


@dataclass(frozen=True)
class P99Limits:
    max_p99_latency_ms: float
    max_latency_ratio: float  # green's p99 over blue's
    min_latency_samples: int  # per side, for a window's p99 to count


def latency_bad(window: Window, limits: P99Limits) -> bool | None:
    """True: green's p99 is over the limits; False: within them; None: too few samples to say."""
    green, blue = window.green, window.blue
    if green.p99_ms is None or green.latency_samples < limits.min_latency_samples:
        return None
    if green.p99_ms > limits.max_p99_latency_ms:
        return True
    if blue.p99_ms is None or blue.latency_samples < limits.min_latency_samples:
        return None
    return green.p99_ms > limits.max_latency_ratio * blue.p99_ms
