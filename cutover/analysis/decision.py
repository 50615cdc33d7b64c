"""One look at a window of counts: fail now, keep watching, or (at the end of a step) pass or
inconclusive. Error rates are judged by anytime-valid e-processes (cutover.analysis.sequential)
that run over one step (a bake or the monitoring window), each step with its share of the
migration's alpha (step_alpha); latency by a persistence rule on per-window p99s.

Why latency differs: a p99 from a window is a quantile estimate, not a count, and most sources
(CloudWatch's TargetResponseTime p99) give no histogram to test; a green p99 above the limits in
`latency_windows` consecutive windows with enough samples on both sides is required, so one noisy
window never decides.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

from cutover.analysis.counts import Window
from cutover.analysis.sequential import Evidence, above_limit, compare, fresh


class Verdict(StrEnum):
    FAIL = "fail"  # roll back now
    WATCHING = "watching"  # no decision yet
    PASS = "pass"  # enough green traffic and no evidence against it
    INCONCLUSIVE = "inconclusive"  # too little green traffic to say


@dataclass(frozen=True)
class Limits:
    alpha: float = 0.002  # false-abort budget of one step (errors: comparison + limit); see step_alpha
    tolerance: float = 1.0  # green may have up to this many times blue's error rate
    max_error_rate: float = 0.05  # green's error rate must not be shown to exceed this
    min_requests: int = 1000  # green requests a step needs before it can pass
    max_latency_ratio: float = 1.5
    max_p99_latency_ms: float = 500.0
    latency_windows: int = 3  # consecutive bad windows that fail latency
    min_latency_samples: int = 100  # per side, for a window's p99 to count


@dataclass(frozen=True)
class State:
    """Carried from look to look within a step."""

    comparison: Evidence
    absolute: Evidence
    bad_latency_windows: int = 0
    step_green_requests: int = 0
    step_green_errors: int = 0

    @classmethod
    def start(cls) -> "State":
        return cls(comparison=fresh(), absolute=fresh())

    def next_step(self) -> "State":
        return State.start()


def step_alpha(migration_alpha: float, steps: int) -> float:
    """Each step's share of the migration's false-abort budget (a union bound over its steps)."""
    return migration_alpha / max(1, steps)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    state: State
    reasons: tuple[str, ...] = ()


def look(state: State, window: Window, limits: Limits) -> Decision:
    """Add one window; FAIL as soon as the evidence allows, else WATCHING."""
    green, blue = window.green, window.blue
    step = compare(
        state.comparison, green.requests, green.errors, blue.requests, blue.errors, limits.tolerance
    )
    absolute = above_limit(state.absolute, green.requests, green.errors, limits.max_error_rate)
    bad, streak = _latency_bad(window, limits), state.bad_latency_windows
    if bad is not None:
        streak = streak + 1 if bad else 0
    state = State(
        comparison=step.evidence,
        absolute=absolute,
        bad_latency_windows=streak,
        step_green_requests=state.step_green_requests + green.requests,
        step_green_errors=state.step_green_errors + green.errors,
    )
    reasons = []
    if state.comparison.rejects(limits.alpha / 2):
        reasons.append(
            f"green's error rate is above {limits.tolerance:g}x blue's (e-value {_e(state.comparison)})"
        )
    if state.absolute.rejects(limits.alpha / 2):
        reasons.append(
            f"green's error rate is above {limits.max_error_rate:g} (e-value {_e(state.absolute)})"
        )
    if state.bad_latency_windows >= limits.latency_windows:
        reasons.append(f"green's p99 was over the limits in {state.bad_latency_windows} windows in a row")
    return Decision(Verdict.FAIL if reasons else Verdict.WATCHING, state, tuple(reasons))


def at_end(state: State, limits: Limits) -> Decision:
    """The step's bake is over without a failure: pass only on enough green traffic."""
    if state.step_green_requests < limits.min_requests:
        reason = f"green served {state.step_green_requests} requests, fewer than {limits.min_requests}"
        return Decision(Verdict.INCONCLUSIVE, state, (reason,))
    return Decision(Verdict.PASS, state)


def _latency_bad(window: Window, limits: Limits) -> bool | None:
    """True: over the limits; False: within them; None: too few samples to say."""
    green, blue = window.green, window.blue
    if green.p99_ms is None or green.latency_samples < limits.min_latency_samples:
        return None
    if green.p99_ms > limits.max_p99_latency_ms:
        return True
    if blue.p99_ms is None or blue.latency_samples < limits.min_latency_samples:
        return None
    return green.p99_ms > limits.max_latency_ratio * blue.p99_ms


def _e(evidence: Evidence) -> str:
    return f"{math.exp(min(evidence.log_e, 700)):.3g}"
