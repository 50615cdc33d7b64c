"""One look at a window of counts: fail now, keep watching, or (at the end of a step) pass or
inconclusive. Error rates are judged by anytime-valid e-processes (cutover.analysis.sequential);
latency by a persistence rule on per-window p99s.

How the migration's alpha is spent (spread_alpha): each analysed step starts its own e-processes,
which then run to the end of the migration, each with a share of alpha; any one crossing its bound
fails the migration. Under "green is as good as blue", the chance that any of them ever crosses is
at most the sum of their shares, the plan's alpha, however often and however long they look
(Ville's inequality and a union bound). The first step's evidence gets most of it: a green that is
worse is usually worse from its first request, and its evidence keeps growing through the later
steps; the later steps' own evidence is there for a regression that starts under load, where the
traffic is large and a small share still decides in a look or two. A fresh start per step matters:
evidence carried from healthy steps sinks far below 1 and a late regression would first have to
climb back.

Why latency differs: a p99 from a window is a quantile estimate, not a count, and most sources
(CloudWatch's TargetResponseTime p99) give no histogram to test; a green p99 above the limits in
`latency_windows` consecutive windows with enough samples on both sides is required, so one noisy
window never decides.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from analysis_v04.sequential import Evidence, above_limit, compare, fresh
from cutover.analysis.alpha import over_steps
from cutover.analysis.counts import Window
from cutover.analysis.p99_rule import P99Limits, latency_bad
from cutover.analysis.verdict import Verdict

COMPARISON_SHARE = 0.9  # of alpha, for green-versus-blue; the rest for the absolute error limit
FIRST_STEP_SHARE = 0.8  # of each test's alpha, for the evidence that starts at the first step


@dataclass(frozen=True)
class Limits:
    tolerance: float = 1.0  # green may have up to this many times blue's error rate
    max_error_rate: float = 0.05  # green's error rate must not be shown to exceed this
    min_requests: int = 1000  # green requests a step needs before it can pass
    max_latency_ratio: float = 1.5
    max_p99_latency_ms: float = 500.0
    latency_windows: int = 3  # consecutive bad windows that fail latency
    min_latency_samples: int = 100  # per side, for a window's p99 to count

    def p99(self) -> P99Limits:
        """What the persistence rule on p99s judges by."""
        return P99Limits(self.max_p99_latency_ms, self.max_latency_ratio, self.min_latency_samples)


@dataclass(frozen=True)
class StepAlpha:
    """The alpha of the e-processes one step starts (0: that test does not start here)."""

    comparison: float
    absolute: float


def spread_alpha(alpha: float, compared: Sequence[bool]) -> list[StepAlpha]:
    """Each analysed step's share of the migration's alpha; `compared[i]`: step i has blue traffic
    to compare with (not at 100% green). The shares add up to alpha."""
    steps = [i for i, has_blue in enumerate(compared) if has_blue]
    comparison = over_steps(alpha * COMPARISON_SHARE, steps, FIRST_STEP_SHARE)
    absolute = over_steps(alpha * (1 - COMPARISON_SHARE), list(range(len(compared))), FIRST_STEP_SHARE)
    return [StepAlpha(comparison.get(i, 0.0), absolute.get(i, 0.0)) for i in range(len(compared))]


@dataclass(frozen=True)
class Test:
    """One e-process and the alpha it was started with: it fails when e >= 1/alpha."""

    evidence: Evidence
    alpha: float

    @property
    def crossed(self) -> bool:
        return self.evidence.rejects(self.alpha)

    @property
    def strength(self) -> float:
        """log(e * alpha): 0 at the bound, so tests of different alphas compare."""
        return self.evidence.log_e + math.log(self.alpha)


@dataclass(frozen=True)
class State:
    """Carried from look to look across the migration; small and serialisable."""

    comparison: tuple[Test, ...] = ()
    absolute: tuple[Test, ...] = ()
    bad_latency_windows: int = 0
    step_green_requests: int = 0
    step_green_errors: int = 0
    step_blue_requests: int = 0
    step_blue_errors: int = 0

    @classmethod
    def start(cls) -> "State":
        return cls()

    def next_step(self, alpha: StepAlpha) -> "State":
        """A new step: its own tests start, the earlier ones go on, the step's counts restart."""
        return State(
            comparison=self.comparison + _started(alpha.comparison),
            absolute=self.absolute + _started(alpha.absolute),
        )


def _started(alpha: float) -> tuple[Test, ...]:
    return (Test(fresh(), alpha),) if alpha > 0 else ()


@dataclass(frozen=True)
class Bound:
    """The test closest to failing: its e-value and the bound it fails at (display only)."""

    e_value: float
    bound: float


def strongest(tests: Sequence[Test]) -> Bound | None:
    if not tests:
        return None
    test = max(tests, key=lambda t: t.strength)
    return Bound(_e(test.evidence.log_e), 1 / test.alpha)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    state: State
    reasons: tuple[str, ...] = ()


def look(state: State, window: Window, limits: Limits) -> Decision:
    """Add one window; FAIL as soon as the evidence allows, else WATCHING."""
    green, blue = window.green, window.blue
    bad, streak = latency_bad(window, limits.p99()), state.bad_latency_windows
    if bad is not None:
        streak = streak + 1 if bad else 0
    state = State(
        comparison=tuple(
            replace(
                test,
                evidence=compare(
                    test.evidence, green.requests, green.errors, blue.requests, blue.errors, limits.tolerance
                ),
            )
            for test in state.comparison
        ),
        absolute=tuple(
            replace(
                test,
                evidence=above_limit(test.evidence, green.requests, green.errors, limits.max_error_rate),
            )
            for test in state.absolute
        ),
        bad_latency_windows=streak,
        step_green_requests=state.step_green_requests + green.requests,
        step_green_errors=state.step_green_errors + green.errors,
        step_blue_requests=state.step_blue_requests + blue.requests,
        step_blue_errors=state.step_blue_errors + blue.errors,
    )
    reasons = []
    if crossed := [t for t in state.comparison if t.crossed]:
        reasons.append(
            f"green's error rate is above {limits.tolerance:g}x blue's ({_evidence_text(crossed)})"
        )
    if crossed := [t for t in state.absolute if t.crossed]:
        reasons.append(f"green's error rate is above {limits.max_error_rate:g} ({_evidence_text(crossed)})")
    if state.bad_latency_windows >= limits.latency_windows:
        reasons.append(f"green's p99 was over the limits in {state.bad_latency_windows} windows in a row")
    return Decision(Verdict.FAIL if reasons else Verdict.WATCHING, state, tuple(reasons))


def at_end(state: State, limits: Limits) -> Decision:
    """The step's bake is over without a failure: pass only on enough green traffic."""
    if state.step_green_requests < limits.min_requests:
        reason = f"green served {state.step_green_requests} requests, fewer than {limits.min_requests}"
        return Decision(Verdict.INCONCLUSIVE, state, (reason,))
    return Decision(Verdict.PASS, state)


def _evidence_text(crossed: Sequence[Test]) -> str:
    bound = strongest(crossed)
    assert bound is not None
    return f"e-value {bound.e_value:.3g} over its bound {bound.bound:.3g}"


def _e(log_e: float) -> float:
    return math.exp(min(log_e, 700.0))
