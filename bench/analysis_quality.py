"""How good is the analysis? The project's own decision code over simulated production-like traffic.

python bench/analysis_quality.py [--runs N] [--seed S] [--engine v05|v04] [--jobs J]

The engine is the decision code: v05 (cutover.analysis, what migrations run) or v04 (the analysis of
0.4, retired from the workflow in 0.6 and kept in bench/analysis_v04 as the baseline), fed the same
simulated traffic, so the two can be compared case by case.

Traffic, per one-minute look and per environment: requests Poisson around the total rate (100
requests/s unless said otherwise) times the environment's share. The per-minute error rate is drawn
around 1% from a Gamma distribution with coefficient of variation c (c = 0: Poisson errors; bursts
independent in blue and green unless "shared", where both draw the same burst); errors are Poisson
on it. Latencies are lognormal (sigma 0.5 on the log scale, p99 120 ms); with "jitter", each side's
whole distribution moves each minute by a factor e^J, J normal with sd 0.25 (independent per side).
A window's p99 is the estimate from its samples; sources count the samples slower than a threshold,
as Prometheus histograms and CloudWatch percentile ranks let them. Before each step the engine gets
blue's last BASELINE_PERIODS minutes from the same process (its baseline). Green regressions multiply
its error rate or its latencies from the onset on.

Limits are the plan's defaults (max_error_rate 1%, max_p99_latency_ms 500, alpha 1% for the whole
migration, spread over its analysed steps by spread_alpha). A single-step case is a 30-minute bake
at the first step's alpha: a green that is worse is worse from its first request. A whole migration is
the default plan's shape: 2/25/75/100% with 30-minute bakes, then a 2-hour monitoring window, a look
a minute (240 looks). Rates are Wilson 95% intervals. The last line is machine-readable.
"""

import argparse
import math
import random
import statistics
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from analysis_v04 import decision as v04

from cutover.analysis import decision as v05
from cutover.analysis.counting import BASELINE_PERIODS
from cutover.analysis.counts import Baseline, Side, Window
from cutover.analysis.verdict import Verdict
from cutover.demo.traffic import poisson

LOOK_S = 60
BAKE_LOOKS = 30
MONITORING_LOOKS = 120
ERROR_RATE = 0.01
SIGMA = 0.5
Z99 = 2.3263
P99_MS = 120.0
MEDIAN_MS = P99_MS / math.exp(Z99 * SIGMA)
LIMIT_MS = 500.0
SHARES = (0.02, 0.25, 0.75, 1.0)  # the default plan's steps; then the monitoring window at 100%
COMPARED = [share < 1 for share in SHARES] + [False]


@dataclass(frozen=True)
class Traffic:
    share: float  # green's share of requests
    rate: float = 100.0  # requests/s, both sides together
    bursts: float = 0.0  # c: coefficient of variation of each minute's error rate
    shared: bool = False  # blue and green draw the same burst
    jitter: float = 0.0  # sd of each side's per-minute log-latency shift
    error_ratio: float = 1.0  # green's error rate over blue's, from the onset
    latency_ratio: float = 1.0  # green's latencies over blue's, from the onset
    onset: int = 0  # the look (0-based) from which green regresses


@dataclass(frozen=True)
class Minute:
    """One side's latent state for a minute: its error rate and log-latency shift."""

    error_rate: float
    shift: float


def burst(rng: random.Random, c: float) -> float:
    return rng.gammavariate(1 / c**2, c**2) if c > 0 else 1.0


def slower(median_ms: float, threshold_ms: float) -> float:
    """The share of a lognormal(median, SIGMA) above the threshold."""
    z = (math.log(threshold_ms) - math.log(median_ms)) / SIGMA
    return 0.5 * math.erfc(z / math.sqrt(2))


def side(
    rng: random.Random, requests_mean: float, minute: Minute, latency_ratio: float, compare_ms: float
) -> Side:
    requests = poisson(rng, requests_mean)
    if requests == 0:
        return Side(0, 0)
    errors = min(requests, poisson(rng, requests * minute.error_rate))
    median = MEDIAN_MS * math.exp(minute.shift) * latency_ratio
    p99 = median * math.exp(Z99 * SIGMA)
    spread = (
        math.sqrt(0.99 * 0.01 / requests) * p99 * SIGMA / (math.exp(-(Z99**2) / 2) / math.sqrt(2 * math.pi))
    )
    slow = min(requests, poisson(rng, requests * slower(median, compare_ms)))
    over = min(requests, poisson(rng, requests * slower(median, LIMIT_MS)))
    return Side(requests, errors, max(1.0, rng.gauss(p99, spread)), requests, slow, over)


def minutes(rng: random.Random, traffic: Traffic) -> tuple[Minute, Minute]:
    blue_burst = burst(rng, traffic.bursts)
    green_burst = blue_burst if traffic.shared else burst(rng, traffic.bursts)
    return (
        Minute(ERROR_RATE * green_burst, rng.gauss(0, traffic.jitter) if traffic.jitter else 0.0),
        Minute(ERROR_RATE * blue_burst, rng.gauss(0, traffic.jitter) if traffic.jitter else 0.0),
    )


def pooled_p99(traffic: Traffic) -> float:
    """Blue's p99 over its baseline hour: jitter widens the pooled distribution."""
    return MEDIAN_MS * math.exp(Z99 * math.sqrt(SIGMA**2 + traffic.jitter**2))


def baseline(rng: random.Random, traffic: Traffic, blue_share: float) -> Baseline:
    compare_ms = pooled_p99(traffic)
    periods = []
    for _ in range(BASELINE_PERIODS):
        _, blue = minutes(rng, traffic)
        periods.append(side(rng, traffic.rate * LOOK_S * blue_share, blue, 1.0, compare_ms))
    return Baseline(tuple(periods), LOOK_S, compare_ms)


def windows(rng: random.Random, traffic: Traffic, count: int) -> Iterator[Window]:
    compare_ms = pooled_p99(traffic)
    for number in range(count):
        green, blue = minutes(rng, traffic)
        regressed = number >= traffic.onset
        green = replace(green, error_rate=green.error_rate * (traffic.error_ratio if regressed else 1.0))
        yield Window(
            side(
                rng,
                traffic.rate * LOOK_S * traffic.share,
                green,
                traffic.latency_ratio if regressed else 1.0,
                compare_ms,
            ),
            side(rng, traffic.rate * LOOK_S * (1 - traffic.share), blue, 1.0, compare_ms),
        )


class Engine(Protocol):
    """A version of the decision code, driven the way the workflow drives it."""

    def start(self) -> Any: ...

    def step(self, state: Any, index: int, blue: Baseline) -> Any: ...

    def look(self, state: Any, window: Window) -> tuple[Verdict, Any]: ...

    def end(self, state: Any) -> Verdict: ...


@dataclass
class Current:
    """This release: cutover.analysis."""

    limits: v05.Limits = field(default_factory=lambda: v05.Limits(max_error_rate=ERROR_RATE, alpha=0.01))
    alpha: list[v05.StepAlpha] = field(default_factory=lambda: v05.spread_alpha(0.01, COMPARED))
    last: v05.Decision | None = None

    def start(self) -> v05.State:
        return v05.State()

    def step(self, state: v05.State, index: int, blue: Baseline) -> v05.State:
        return state.next_step(self.alpha[index], self.limits).with_baseline(blue)

    def look(self, state: v05.State, window: Window) -> tuple[Verdict, v05.State]:
        self.last = v05.look(state, window, self.limits, LOOK_S)
        return self.last.verdict, self.last.state

    def end(self, state: v05.State) -> Verdict:
        assert self.last is not None
        return v05.at_end(self.last, self.limits).verdict


@dataclass
class Before:
    """The analysis of 0.4 (bench/analysis_v04), the baseline."""

    limits: v04.Limits = field(default_factory=lambda: v04.Limits(max_error_rate=ERROR_RATE))
    alpha: list[v04.StepAlpha] = field(default_factory=lambda: v04.spread_alpha(0.01, COMPARED))

    def start(self) -> v04.State:
        return v04.State.start()

    def step(self, state: v04.State, index: int, blue: Baseline) -> v04.State:
        return state.next_step(self.alpha[index])

    def look(self, state: v04.State, window: Window) -> tuple[Verdict, v04.State]:
        decision = v04.look(state, window, self.limits)
        return decision.verdict, decision.state

    def end(self, state: v04.State) -> Verdict:
        return v04.at_end(state, self.limits).verdict


ENGINES: dict[str, Callable[[], Engine]] = {"v05": Current, "v04": Before}


def one_step(
    rng: random.Random, engine: Engine, traffic: Traffic, state: Any, looks: int = BAKE_LOOKS
) -> tuple[Verdict, int | None, Any]:
    """The step's verdict, the look it failed at (1-based) and the state after it."""
    for number, window in enumerate(windows(rng, traffic, looks), start=1):
        verdict, state = engine.look(state, window)
        if verdict is Verdict.FAIL:
            return Verdict.FAIL, number, state
    return engine.end(state), None, state


def first_step(
    rng: random.Random, engine: Engine, traffic: Traffic, looks: int = BAKE_LOOKS
) -> tuple[Verdict, int | None]:
    state = engine.step(engine.start(), 0, baseline(rng, traffic, 1.0))
    verdict, when, _ = one_step(rng, engine, traffic, state, looks)
    return verdict, when


def migration(rng: random.Random, engine: Engine, traffic: Traffic) -> bool:
    """A whole default-shaped migration on A/A traffic: did it roll back?"""
    state, blue_share = engine.start(), 1.0
    shapes = [(share, BAKE_LOOKS) for share in SHARES] + [(1.0, MONITORING_LOOKS)]
    for index, (share, looks) in enumerate(shapes):
        state = engine.step(state, index, baseline(rng, traffic, blue_share))
        verdict, _, state = one_step(rng, engine, replace(traffic, share=share), state, looks)
        if verdict is Verdict.FAIL:
            return True
        blue_share = 1 - share
    return False


def after_healthy_steps(rng: random.Random, engine: Engine, traffic: Traffic) -> tuple[Verdict, int | None]:
    """Healthy at 2% and 25%, then green regresses from 75%: found as fast as in a first step?"""
    state, blue_share = engine.start(), 1.0
    healthy = replace(traffic, error_ratio=1.0, latency_ratio=1.0)
    for index, share in enumerate(SHARES[:2]):
        state = engine.step(state, index, baseline(rng, healthy, blue_share))
        verdict, _, state = one_step(rng, engine, replace(healthy, share=share), state)
        if verdict is Verdict.FAIL:
            return verdict, None  # a false abort before the regression: not a detection
        blue_share = 1 - share
    state = engine.step(state, 2, baseline(rng, healthy, blue_share))
    verdict, when, _ = one_step(rng, engine, replace(traffic, share=0.75), state)
    return verdict, when


@dataclass(frozen=True)
class Case:
    label: str
    kind: str  # "migration", "step", "late", "after"
    traffic: Traffic
    looks: int = BAKE_LOOKS


@dataclass(frozen=True)
class Outcome:
    case: Case
    runs: int
    failed: int  # migrations rolled back (A/A) or steps failed (detection)
    inconclusive: int
    times: tuple[int, ...]  # looks to detection, from the onset, of the detected runs


def run_case(case: Case, runs: int, seed: int, engine_name: str) -> Outcome:
    rng = random.Random(f"{seed}/{case.label}")
    engine = ENGINES[engine_name]()
    failed = inconclusive = 0
    times: list[int] = []
    for _ in range(runs):
        if case.kind == "migration":
            failed += migration(rng, engine, case.traffic)
            continue
        if case.kind == "after":
            verdict, when = after_healthy_steps(rng, engine, case.traffic)
        else:
            verdict, when = first_step(rng, engine, case.traffic, case.looks)
        if verdict is Verdict.FAIL and when is not None and when > case.traffic.onset:
            failed += 1
            times.append(when - case.traffic.onset)
        inconclusive += verdict is Verdict.INCONCLUSIVE
    return Outcome(case, runs, failed, inconclusive, tuple(times))


def wilson(part: int, whole: int) -> tuple[float, float, float]:
    """Percentage and its Wilson 95% interval."""
    if whole == 0:
        return math.nan, math.nan, math.nan
    z, p = 1.96, part / whole
    centre = (p + z * z / (2 * whole)) / (1 + z * z / whole)
    half = z * math.sqrt(p * (1 - p) / whole + z * z / (4 * whole * whole)) / (1 + z * z / whole)
    return 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def pct_text(part: int, whole: int) -> str:
    value, low, high = wilson(part, whole)
    return f"{value:5.2f}% [{low:.2f}, {high:.2f}]"


def aa_cases() -> list[Case]:
    cases = []
    for rate in (100.0, 2000.0):
        for c in (0.0, 0.1, 0.3, 0.5, 1.0):
            cases.append(Case(f"A/A {rate:.0f} req/s, bursts c={c:g}", "migration", Traffic(0, rate, c)))
        for c in (0.5, 1.0):
            cases.append(
                Case(f"A/A {rate:.0f} req/s, shared bursts c={c:g}", "migration", Traffic(0, rate, c, True))
            )
    for rate in (10.0, 100.0, 2000.0):
        cases.append(
            Case(f"A/A {rate:.0f} req/s, p99 jitter sd 0.25", "migration", Traffic(0, rate, jitter=0.25))
        )
    return cases


def detection_cases() -> list[Case]:
    cases = []
    for ratio in (2.0, 1.5, 1.2):
        for share in (0.02, 0.05, 0.25, 0.75):
            cases.append(Case(f"{ratio:g}x 5xx at {share:.0%}", "step", Traffic(share, error_ratio=ratio)))
    for share in (0.05, 0.25, 0.75):
        cases.append(
            Case(f"1.2x 5xx at {share:.0%}, 2000 req/s", "step", Traffic(share, 2000.0, error_ratio=1.2))
        )
    for rate in (100.0, 2000.0):
        for c in (0.3, 0.5, 1.0):
            traffic = Traffic(0.05, rate, c, error_ratio=2.0)
            cases.append(Case(f"2x 5xx at 5%, {rate:.0f} req/s, bursts c={c:g}", "step", traffic))
    cases.append(
        Case("2x 5xx at 5% from minute 15 of the bake", "late", Traffic(0.05, error_ratio=2.0, onset=15), 45)
    )
    cases.append(Case("2x 5xx from 75%, after healthy 2% and 25%", "after", Traffic(0.75, error_ratio=2.0)))
    for rate in (10.0, 100.0):
        for ratio in (1.4, 2.0):
            traffic = Traffic(0.05, rate, jitter=0.25, latency_ratio=ratio)
            cases.append(
                Case(f"{ratio:g}x latency at 5%, {rate:.0f} req/s, p99 jitter 0.25", "step", traffic)
            )
    cases.append(Case("green 1% of 10 req/s, healthy", "step", Traffic(0.01, 10.0)))
    return cases


def report(outcome: Outcome) -> str:
    case, runs = outcome.case, outcome.runs
    if case.kind == "migration":
        return f"{case.label}: rolled back {pct_text(outcome.failed, runs)} of {runs} healthy migrations"
    times = sorted(outcome.times)
    median = statistics.median(times) * LOOK_S if times else math.nan
    p90 = times[int(0.9 * (len(times) - 1))] * LOOK_S if times else math.nan
    within = sum(t <= BAKE_LOOKS - case.traffic.onset for t in times)
    text = (
        f"{case.label}: detected {pct_text(outcome.failed, runs)}, within the bake "
        f"{pct_text(within, runs)}, median {median:.0f} s, p90 {p90:.0f} s"
    )
    if outcome.inconclusive:
        text += f", inconclusive {pct_text(outcome.inconclusive, runs)}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="v05")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    cases = aa_cases() + detection_cases()
    with ProcessPoolExecutor(args.jobs) as pool:
        outcomes = list(
            pool.map(
                run_case,
                cases,
                [args.runs] * len(cases),
                [args.seed] * len(cases),
                [args.engine] * len(cases),
            )
        )
    print(f"engine {args.engine}, {args.runs} runs per case")
    for outcome in outcomes:
        print(report(outcome))
    by_label = {o.case.label: o for o in outcomes}
    worst = max((o for o in outcomes if o.case.kind == "migration"), key=lambda o: o.failed)
    headline = by_label["2x 5xx at 5%"]
    bursty = by_label["2x 5xx at 5%, 100 req/s, bursts c=0.5"]
    late = by_label["2x 5xx at 5% from minute 15 of the bake"]
    median = statistics.median(headline.times) * LOOK_S if headline.times else math.nan
    late_ratio = (
        statistics.median(late.times) * LOOK_S / median if late.times and headline.times else math.nan
    )
    within = sum(t <= BAKE_LOOKS for t in bursty.times)
    print(f"worst A/A: {worst.case.label}")
    print(
        f"RESULT false_abort_pct={wilson(worst.failed, worst.runs)[0]:.2f} "
        f"detect_pct={wilson(headline.failed, headline.runs)[0]:.1f} median_detect_s={median:.0f} "
        f"burst_detect_pct={wilson(within, bursty.runs)[0]:.1f} late_ratio={late_ratio:.2f}"
    )


if __name__ == "__main__":
    main()
