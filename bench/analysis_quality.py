"""How good is the analysis? The project's own decision code (cutover.analysis) over simulated traffic.

python bench/analysis_quality.py [--runs N] [--seed S]     (default: 2000 runs per case)

Traffic: 100 requests/s in all unless said otherwise, green's share as given, a look every 60 s over
a 30-minute bake. Per window each side's requests are Poisson, its errors Poisson at its error
rate (rare events), and its p99 the estimate from that many lognormal latencies (sigma 0.5): normal
around the true p99 with the order statistic's spread. Limits are the plan's defaults
(max_error_rate 1%, latency ratio 1.5, alpha 1% for the whole migration, spread over its analysed
steps by cutover.analysis.decision.spread_alpha). A single-step case runs with the first step's share:
a green that is worse is worse from its first request.

Cases: A/A at 1% 5xx (false aborts per step); green at 2x blue's 5xx rate at 2%, 5% and 25% of
traffic (detected within the bake, median and p90 time); green at 2x blue's p99 likewise; green at
1% of 10 requests/s (inconclusive); and a whole default-shaped migration (steps 2/25/75/100, 30 min
bakes, then 8 monitoring windows of 20 min at 100%) with both sides at 1% 5xx (false aborts per
migration; the evidence runs across every step). The last line is machine-readable.
"""

import argparse
import math
import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass

from cutover.analysis.counts import Side, Window
from cutover.analysis.decision import Limits, State, StepAlpha, Verdict, at_end, look, spread_alpha

LOOK_S = 60
BAKE_LOOKS = 30
RATE = 100.0  # requests/s, both sides together
P99_MS = 120.0
SIGMA = 0.5
Z99, PHI_Z99 = 2.3263, 0.026652  # standard normal 99th percentile and its density
SHARES = (0.02, 0.25, 0.75, 1.0)  # the default plan's steps; then the monitoring window at 100%
ALPHA = spread_alpha(0.01, [share < 1 for share in SHARES] + [False])
LIMITS = Limits(max_error_rate=0.01)


@dataclass(frozen=True)
class Traffic:
    share: float  # green's share of requests
    green_errors: float = 0.01
    blue_errors: float = 0.01
    green_p99: float = P99_MS
    rate: float = RATE


def poisson(rng: random.Random, mean: float) -> int:
    if mean < 30:
        limit, k, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def side(rng: random.Random, requests_mean: float, error_rate: float, p99: float) -> Side:
    requests = poisson(rng, requests_mean)
    errors = min(requests, poisson(rng, requests * error_rate))
    if requests == 0:
        return Side(requests=0, errors=0)
    spread = math.sqrt(0.99 * 0.01 / requests) * p99 * SIGMA / PHI_Z99
    return Side(requests, errors, max(1.0, rng.gauss(p99, spread)), requests)


def windows(rng: random.Random, traffic: Traffic, count: int, seconds: int = LOOK_S) -> Iterator[Window]:
    for _ in range(count):
        green_mean, blue_mean = (
            traffic.rate * seconds * traffic.share,
            traffic.rate * seconds * (1 - traffic.share),
        )
        yield Window(
            side(rng, green_mean, traffic.green_errors, traffic.green_p99),
            side(rng, blue_mean, traffic.blue_errors, P99_MS),
        )


def one_step(rng: random.Random, traffic: Traffic, state: State) -> tuple[Verdict, float | None, State]:
    """The step's verdict, when it failed (seconds into the bake) and the state after it."""
    for number, window in enumerate(windows(rng, traffic, BAKE_LOOKS), start=1):
        decision = look(state, window, LIMITS)
        state = decision.state
        if decision.verdict is Verdict.FAIL:
            return Verdict.FAIL, number * LOOK_S, state
    return at_end(state, LIMITS).verdict, None, state


def step_case(
    rng: random.Random, traffic: Traffic, runs: int, alpha: StepAlpha = ALPHA[0]
) -> list[tuple[Verdict, float | None]]:
    results = []
    for _ in range(runs):
        verdict, when, _ = one_step(rng, traffic, State.start().next_step(alpha))
        results.append((verdict, when))
    return results


def migration_fails(rng: random.Random) -> bool:
    state = State.start()
    for share, alpha in zip(SHARES, ALPHA, strict=False):
        verdict, _, state = one_step(rng, Traffic(share=share), state.next_step(alpha))
        if verdict is Verdict.FAIL:
            return True
    state = state.next_step(ALPHA[-1])
    for window in windows(rng, Traffic(share=1.0), 8, seconds=20 * 60):
        decision = look(state, window, LIMITS)
        if decision.verdict is Verdict.FAIL:
            return True
        state = decision.state
    return False


def late_regression(rng: random.Random) -> tuple[Verdict, float | None]:
    """Healthy at 2% and 25%, then green at 2x blue's 5xx from 75%: found as fast as in a first step?"""
    state = State.start()
    for share, alpha in zip(SHARES[:2], ALPHA, strict=False):
        verdict, _, state = one_step(rng, Traffic(share=share), state.next_step(alpha))
        if verdict is Verdict.FAIL:
            return verdict, None  # a false abort before the regression: not a detection
    verdict, when, _ = one_step(rng, Traffic(0.75, 0.02), state.next_step(ALPHA[2]))
    return verdict, when


def pct(part: int, whole: int) -> float:
    return 100.0 * part / whole


def detection(label: str, results: list[tuple[Verdict, float | None]]) -> tuple[float, float]:
    times = sorted(when for verdict, when in results if verdict is Verdict.FAIL and when is not None)
    detected = pct(len(times), len(results))
    median = statistics.median(times) if times else float("nan")
    p90 = times[int(0.9 * (len(times) - 1))] if times else float("nan")
    by_5_min = pct(sum(when <= 300 for when in times), len(results))
    print(
        f"{label}: detected {detected:.1f}% ({by_5_min:.1f}% within 5 min), "
        f"median {median:.0f} s, p90 {p90:.0f} s"
    )
    return detected, median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    runs = args.runs

    aa = step_case(rng, Traffic(share=0.05), runs)
    false_abort = pct(sum(v is Verdict.FAIL for v, _ in aa), runs)
    print(f"A/A, 1% 5xx both, green 5%: false aborts {false_abort:.2f}% per step ({runs} runs)")
    headline = (0.0, 0.0)
    for share in (0.02, 0.05, 0.25):
        found = detection(f"green 2x blue's 5xx at {share:.0%}", step_case(rng, Traffic(share, 0.02), runs))
        if share == 0.05:
            headline = found
    detection(
        "green 2x blue's 5xx from 75%, after healthy steps", [late_regression(rng) for _ in range(runs)]
    )
    for share in (0.02, 0.05, 0.25):
        p99_case = step_case(rng, Traffic(share, green_p99=2 * P99_MS), runs)
        detection(f"green 2x blue's p99 at {share:.0%}", p99_case)
    quiet = step_case(rng, Traffic(share=0.01, rate=10.0), runs)
    inconclusive = pct(sum(v is Verdict.INCONCLUSIVE for v, _ in quiet), runs)
    print(f"green 1% of 10 req/s: inconclusive {inconclusive:.1f}%")
    nothing = look(State.start().next_step(ALPHA[0]), Window(Side(0, 0), Side(6000, 60)), LIMITS)
    zero = at_end(nothing.state, LIMITS)
    print(f"no green traffic at all: {zero.verdict.value} ({'; '.join(zero.reasons)})")
    migration = pct(sum(migration_fails(rng) for _ in range(runs)), runs)
    print(f"whole migration, A/A at 1% 5xx: false aborts {migration:.2f}% per migration ({runs} runs)")
    print(
        f"RESULT false_abort_pct={false_abort:.2f} migration_false_abort_pct={migration:.2f} "
        f"detect_pct={headline[0]:.1f} median_detect_s={headline[1]:.0f}"
    )


if __name__ == "__main__":
    main()
