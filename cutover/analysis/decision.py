"""One look at a window of counts: fail now, keep watching, or (at the end of a step) pass or
inconclusive.

Four judges, each on counts:
- errors, green vs blue: cutover.analysis.comparison (step tests and a change detector);
- latency, green vs blue: the same on the number of requests slower than blue's p99 (from blue's
  baseline before the step), where the metrics source counts them (Prometheus histogram buckets,
  CloudWatch percentile ranks); else a persistence rule on the p99s, which has no guarantee;
- errors against max_error_rate and latency against max_p99_latency_ms: SLO burn rates
  (cutover.analysis.burn_rate).

How the migration's alpha is spent (spread_alpha): ERRORS_SHARE to the error comparison, the rest to
the latency comparison. Within each, every analysed step starts its own test, which runs to the end of
the migration; the first step's gets FIRST_STEP_SHARE, the later ones share the rest. A union bound
keeps the chance that any of them ever fails a healthy green at most the plan's alpha, however often
they look. The first step gets most because a worse green is usually worse from its first request and
its evidence grows through the later steps; the later steps' tests are for a regression that starts
under load, on large traffic, where a small share still decides within a look or two.

The change detectors (one per comparison) are bounded at DETECTOR_LOOKS / (alpha's share): on a
healthy green each fails on average no sooner than that many looks (ARL); they are what finds a
regression that starts mid-bake. The burn-rate rules are SRE alerting rules, not tests: they hold no
alpha; green at the limit never fails them.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cutover.analysis.alpha import over_steps
from cutover.analysis.burn_rate import Budget, Burn, Counted, burning
from cutover.analysis.comparison import Bound, Comparison
from cutover.analysis.counts import Baseline, Window
from cutover.analysis.noise import Noise, learn
from cutover.analysis.p99_rule import P99Limits, latency_bad
from cutover.analysis.verdict import Verdict

ERRORS_SHARE = 0.9  # of alpha, for green-versus-blue errors; the rest for green-versus-blue latency
FIRST_STEP_SHARE = 0.9  # of each comparison's alpha, for the test that starts at the first step
DETECTOR_LOOKS = 20.0  # a detector's bound, times 1 / its comparison's share of alpha
SLOW_ALLOWED = 0.01  # the share of requests a p99 at the limit allows to be slower than it


@dataclass(frozen=True)
class Limits:
    tolerance: float = 1.0  # green may have up to this many times blue's rate of bad events
    max_error_rate: float = 0.05  # green's error budget: its rate must not burn it (burn_rate)
    min_requests: int = 1000  # green requests a step needs before it can pass
    max_p99_latency_ms: float = 500.0
    alpha: float = 0.01  # the whole migration's, to bound the change detectors
    # The persistence rule, where the source counts no slow requests:
    max_latency_ratio: float = 1.5
    latency_windows: int = 3  # consecutive bad windows that fail latency
    min_latency_samples: int = 100  # per side, for a window's p99 to count

    def detector_log_bound(self, share: float) -> float:
        return math.log(DETECTOR_LOOKS / (self.alpha * share))

    def p99(self) -> P99Limits:
        """What the persistence rule on p99s judges by."""
        return P99Limits(self.max_p99_latency_ms, self.max_latency_ratio, self.min_latency_samples)


@dataclass(frozen=True)
class StepAlpha:
    """The alpha of the tests one step starts (0: that test does not start here)."""

    errors: float
    latency: float


def spread_alpha(alpha: float, compared: Sequence[bool]) -> list[StepAlpha]:
    """Each analysed step's share of the migration's alpha; `compared[i]`: step i has blue traffic
    to compare with (not at 100% green). The shares add up to alpha (none where nothing compares)."""
    steps = [i for i, has_blue in enumerate(compared) if has_blue]
    errors = over_steps(alpha * ERRORS_SHARE, steps, FIRST_STEP_SHARE)
    latency = over_steps(alpha * (1 - ERRORS_SHARE), steps, FIRST_STEP_SHARE)
    return [StepAlpha(errors.get(i, 0.0), latency.get(i, 0.0)) for i in range(len(compared))]


@dataclass(frozen=True)
class StepCounts:
    """What green and blue served in the current step (evidence and min_requests)."""

    green_requests: int = 0
    green_errors: int = 0
    blue_requests: int = 0
    blue_errors: int = 0

    def __add__(self, window: Window) -> "StepCounts":
        green, blue = window.green, window.blue
        return StepCounts(
            self.green_requests + green.requests,
            self.green_errors + green.errors,
            self.blue_requests + blue.requests,
            self.blue_errors + blue.errors,
        )


@dataclass(frozen=True)
class State:
    """Carried from look to look across the migration: a few numbers per judge, whatever its length."""

    errors: Comparison = Comparison()
    latency: Comparison = Comparison()
    error_budget: Budget = Budget()
    latency_budget: Budget = Budget()
    latency_threshold_ms: float | None = None  # blue's p99 in its baseline: slow means slower than this
    baseline_due: bool = False  # a step started: read blue's baseline before its first look
    bad_latency_windows: int = 0  # the persistence rule's streak
    step: StepCounts = StepCounts()

    def next_step(self, alpha: StepAlpha, limits: Limits) -> "State":
        """A new step: its own tests start, the earlier ones go on; the step's counts and the burn-rate
        windows restart (green's traffic changed: the last step's minutes would swamp or dilute it)."""
        return replace(
            self,
            errors=self.errors.next_step(alpha.errors, limits.detector_log_bound(ERRORS_SHARE)),
            latency=self.latency.next_step(alpha.latency, limits.detector_log_bound(1 - ERRORS_SHARE)),
            error_budget=Budget(),
            latency_budget=Budget(),
            baseline_due=True,
            step=StepCounts(),
        )

    def with_baseline(self, baseline: Baseline) -> "State":
        """Learn blue's noise (and its p99, the latency threshold) from its recent periods."""
        return self.with_learned(Learned.from_baseline(baseline))

    def with_learned(self, learned: "Learned") -> "State":
        return replace(
            self,
            errors=replace(self.errors, noise=learned.errors),
            latency=replace(self.latency, noise=learned.latency),
            latency_threshold_ms=learned.threshold_ms,
            baseline_due=False,
        )


@dataclass(frozen=True)
class Learned:
    """What a step learns from blue's baseline: a few numbers, where the baseline is 120 periods, so
    it is what crosses from the activity that reads the baseline to the workflow that judges."""

    errors: Noise
    latency: Noise | None  # None: the source counts no slow requests (the p99 rule judges)
    threshold_ms: float | None  # blue's p99 over the baseline: slow means slower than this

    @staticmethod
    def from_baseline(baseline: Baseline) -> "Learned":
        periods = baseline.periods
        slow = [(p.latency_samples, p.slow) for p in periods if p.slow is not None]
        counted = baseline.compare_ms is not None and len(slow) == len(periods) > 0
        return Learned(
            errors=learn([(p.requests, p.errors) for p in periods]),
            latency=learn(slow) if counted else None,
            threshold_ms=baseline.compare_ms if counted else None,
        )


@dataclass(frozen=True)
class Judged:
    """One look's verdict with the evidence closest to each bound (display)."""

    errors: Bound | None
    latency: Bound | None
    error_burn: Burn | None
    latency_burn: Burn | None
    latency_counted: bool  # False: the persistence rule judged latency (no guarantee)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    state: State
    judged: Judged
    reasons: tuple[str, ...] = ()


def look(state: State, window: Window, limits: Limits, seconds: float) -> Decision:
    """Add one window of `seconds`; FAIL as soon as any judge says so, else WATCHING."""
    green, blue = window.green, window.blue
    t = limits.tolerance
    counted = _latency_counted(state, window)
    errors = state.errors.add(green.requests, green.errors, blue.requests, blue.errors, t)
    latency = state.latency
    if counted:
        latency = latency.add(green.latency_samples, green.slow or 0, blue.latency_samples, blue.slow or 0, t)
    streak = state.bad_latency_windows
    if not counted and (bad := latency_bad(window, limits.p99())) is not None:
        streak = streak + 1 if bad else 0
    green_errors, blue_errors = Counted(green.requests, green.errors), Counted(blue.requests, blue.errors)
    error_budget = state.error_budget.add(green_errors, blue_errors, seconds)
    error_burn = burning(error_budget, green_errors, blue_errors, limits.max_error_rate)
    latency_budget, latency_burn = state.latency_budget, None
    if green.slow_over_limit is not None:
        green_slow = Counted(green.latency_samples, green.slow_over_limit)
        blue_slow = Counted(blue.latency_samples, blue.slow_over_limit or 0)
        latency_budget = latency_budget.add(green_slow, blue_slow, seconds)
        latency_burn = burning(latency_budget, green_slow, blue_slow, SLOW_ALLOWED)
    state = replace(
        state,
        errors=errors,
        latency=latency,
        error_budget=error_budget,
        latency_budget=latency_budget,
        bad_latency_windows=streak,
        step=state.step + window,
    )
    reasons = []
    if bound := errors.crossed:
        reasons.append(f"green's error rate is above {_times(t)} blue's ({_evidence_text(bound)})")
    if bound := latency.crossed:
        reasons.append(
            f"green has more requests slower than {state.latency_threshold_ms:.0f} ms (blue's p99) "
            f"than {_times(t)} blue's share ({_evidence_text(bound)})"
        )
    if error_burn and error_burn.fired:
        reasons.append(
            f"green burns its error budget (max_error_rate {limits.max_error_rate:g}): {error_burn.text()}"
        )
    if latency_burn and latency_burn.fired:
        reasons.append(
            f"green's requests slower than {limits.max_p99_latency_ms:g} ms burn a p99's budget "
            f"(1% slower): {latency_burn.text()}"
        )
    if streak >= limits.latency_windows:
        reasons.append(f"green's p99 was over the limits in {streak} windows in a row")
    judged = Judged(errors.strongest, latency.strongest, error_burn, latency_burn, counted)
    return Decision(Verdict.FAIL if reasons else Verdict.WATCHING, state, judged, tuple(reasons))


def at_end(decision: Decision, limits: Limits) -> Decision:
    """The step's bake is over without a failure: pass only on enough green traffic."""
    requests = decision.state.step.green_requests
    if requests < limits.min_requests:
        minimum = f"analysis.min_requests ({limits.min_requests})"
        reason = f"green served {requests} requests this step, fewer than {minimum}"
        return replace(decision, verdict=Verdict.INCONCLUSIVE, reasons=(reason,))
    return replace(decision, verdict=Verdict.PASS)


def _latency_counted(state: State, window: Window) -> bool:
    """Both sides counted slow requests against blue's baseline p99: the count test judges latency."""
    return (
        state.latency_threshold_ms is not None
        and window.green.slow is not None
        and window.blue.slow is not None
    )


def _times(tolerance: float) -> str:
    return f"{tolerance:g}x"


def _evidence_text(bound: Bound) -> str:
    test = "change detector" if bound.detector else "e-value"
    return f"{test} {bound.e_value:.3g} over its bound {bound.bound:.3g}"
