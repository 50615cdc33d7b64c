"""What blue's baseline says about the noise: Poisson counts give (almost) no extra variance, bursts of a
known size are bounded from above, too little history falls back to an assumption, never to none."""

import random

from cutover.analysis.noise import DEFAULT_KAPPA, Noise, learn
from tests.analysis.traffic import Traffic, baseline


def periods(traffic: Traffic, seed: int, count: int = 120) -> list[tuple[int, int]]:
    return [(p.requests, p.errors) for p in baseline(random.Random(seed), traffic, count).periods]


def test_poisson_counts_add_almost_nothing() -> None:
    noise = learn(periods(Traffic(rate=100.0), seed=1))
    assert noise.periods == 120 and abs(noise.rate - 0.01) < 0.001
    assert noise.inflation(green=300, blue=5700) < 1.05, "Poisson errors treated as bursty"


def test_bursts_are_bounded_from_above() -> None:
    """c = 0.5 per side: 2c² = 0.5. Over 20 baselines the bound is rarely below it, never far above."""
    learned = [learn(periods(Traffic(rate=2000.0, bursts=0.5), seed)).kappa for seed in range(20)]
    assert sum(kappa < 0.5 for kappa in learned) <= 3, learned
    assert max(learned) < 1.2, learned


def test_too_little_history_assumes_bursts() -> None:
    assert learn(periods(Traffic(rate=2000.0), seed=2, count=5)).kappa == DEFAULT_KAPPA
    assert learn([(100, 0)] * 120).kappa == DEFAULT_KAPPA, (
        "no errors at all: nothing to learn their bursts from"
    )
    assert learn([]).rate == 0.0


def test_the_inflation_grows_with_the_traffic_compared() -> None:
    noise = Noise(rate=0.01, kappa=0.5)
    small, large = noise.inflation(300, 5700), noise.inflation(6000, 114000)
    assert 2.0 < small < 2.6 and large > 20 * (small - 1)
    assert noise.inflation(0, 5700) == 1.0, "no green traffic: nothing to inflate"
