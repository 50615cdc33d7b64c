"""Simulated one-minute windows for the analysis tests: Poisson counts on a per-minute rate that bursts
(Gamma, coefficient of variation c) and latencies whose scale jitters (lognormal), per environment."""

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from cutover.analysis.counts import Baseline, Side, Window
from cutover.demo.traffic import poisson

MINUTE = 60.0
SIGMA = 0.5  # the latency distribution's spread on the log scale
P99_MS = 120.0
MEDIAN_MS = P99_MS / math.exp(2.3263 * SIGMA)
LIMIT_MS = 500.0


@dataclass(frozen=True)
class Traffic:
    rate: float = 100.0  # requests/s, both environments together
    share: float = 0.05  # green's share
    error_rate: float = 0.01
    bursts: float = 0.0  # c of each minute's error rate, drawn independently per environment
    jitter: float = 0.0  # sd of each minute's log-latency shift, per environment
    error_ratio: float = 1.0  # green's error rate over blue's, from `onset` on
    latency_ratio: float = 1.0
    onset: int = 0

    @property
    def compare_ms(self) -> float:
        """Blue's p99 over a baseline: the jitter widens the pooled distribution."""
        return MEDIAN_MS * math.exp(2.3263 * math.sqrt(SIGMA**2 + self.jitter**2))


def _slower(median_ms: float, threshold_ms: float) -> float:
    return 0.5 * math.erfc((math.log(threshold_ms / median_ms) / SIGMA) / math.sqrt(2))


def side(
    rng: random.Random, traffic: Traffic, share: float, error_ratio: float, latency_ratio: float
) -> Side:
    requests = poisson(rng, traffic.rate * MINUTE * share)
    if requests == 0:
        return Side(0, 0)
    c = traffic.bursts
    burst = rng.gammavariate(1 / c**2, c**2) if c else 1.0
    errors = min(requests, poisson(rng, requests * traffic.error_rate * error_ratio * burst))
    median = MEDIAN_MS * latency_ratio * math.exp(rng.gauss(0, traffic.jitter) if traffic.jitter else 0.0)
    slow = min(requests, poisson(rng, requests * _slower(median, traffic.compare_ms)))
    over = min(requests, poisson(rng, requests * _slower(median, LIMIT_MS)))
    return Side(requests, errors, median * math.exp(2.3263 * SIGMA), requests, slow, over)


def baseline(rng: random.Random, traffic: Traffic, periods: int = 120) -> Baseline:
    """Blue's last `periods` minutes at all the traffic."""
    blue = [side(rng, traffic, 1.0, 1.0, 1.0) for _ in range(periods)]
    return Baseline(tuple(blue), MINUTE, traffic.compare_ms)


def windows(rng: random.Random, traffic: Traffic, count: int) -> Iterator[Window]:
    for number in range(count):
        regressed = number >= traffic.onset
        yield Window(
            side(
                rng,
                traffic,
                traffic.share,
                traffic.error_ratio if regressed else 1.0,
                traffic.latency_ratio if regressed else 1.0,
            ),
            side(rng, traffic, 1 - traffic.share, 1.0, 1.0),
        )
