"""How noisy a count is from look to look, learned from blue's own recent history.

Counting alone makes a rate noisy (Poisson: the variance of the count equals its mean). Production
errors and slow requests also come in bursts: the rate itself moves from minute to minute, which
adds variance that grows with the square of the traffic. A test that ignores it rolls healthy
migrations back, and more often the more traffic there is.

Before each step the analysis reads blue's last periods (MetricsSource.baseline) and estimates the
squared coefficient of variation of blue's per-period rate beyond counting noise, c². It takes an
upper confidence bound, not the point estimate, so a noisier green-vs-blue comparison than measured
is unlikely. If green's rate moves like blue's but independently (the worst case for a comparison:
shared bursts cancel out), the comparison's count varies `inflation` times more than counting alone
explains; cutover.analysis.betting tempers each look's evidence by that factor.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_PERIODS = 10  # fewer periods with traffic than this: too little history, assume DEFAULT_KAPPA
MIN_EVENTS = 20  # fewer bad events than this in the history: too few to learn their bursts from
# Without history, assume each side's rate varies by half its mean from period to period (c = 0.5).
DEFAULT_KAPPA = 2 * 0.5**2
CONFIDENCE_Z = 1.645  # one-sided 95% upper bound on the variance


@dataclass(frozen=True)
class Noise:
    """rate: blue's share of bad events (errors per request, slow per latency sample) in its
    history; kappa: 2c², the comparison's extra variance per expected bad event (see inflation);
    periods: how many periods with traffic it rests on (0: assumed, not measured)."""

    rate: float
    kappa: float
    periods: int = 0

    def inflation(self, green: int, blue: int, tolerance: float = 1.0) -> float:
        """How many times counting noise the green-vs-blue comparison of one look varies: 1 for
        Poisson counts; 1 + kappa·rate·h with h = t·n_g·n_b / (t·n_g + n_b) when both sides' rates
        move independently with squared coefficient of variation c² = kappa / 2."""
        weighted = tolerance * green
        if weighted + blue <= 0:
            return 1.0
        return 1.0 + self.kappa * self.rate * weighted * blue / (weighted + blue)


def assumed(rate: float = 0.0) -> Noise:
    """The noise to assume when blue's history cannot tell."""
    return Noise(rate=rate, kappa=DEFAULT_KAPPA)


def learn(periods: Sequence[tuple[int, int]]) -> Noise:
    """From (trials, bad events) per period, oldest first: blue's rate and an upper bound on how much
    its per-period rate varies beyond counting noise."""
    seen = [(n, bad) for n, bad in periods if n > 0]
    trials, events = sum(n for n, _ in seen), sum(bad for _, bad in seen)
    rate = events / trials if trials else 0.0
    if len(seen) < MIN_PERIODS or events < MIN_EVENTS:
        return assumed(rate)
    rates = [bad / n for n, bad in seen]
    mean = sum(rates) / len(rates)
    variance = sum((r - mean) ** 2 for r in rates) / (len(rates) - 1)
    counting = sum(rate / n for n, _ in seen) / len(seen)  # what Poisson noise alone would give
    excess = max(0.0, variance * _upper_factor(len(rates) - 1) - counting)
    return Noise(rate=rate, kappa=2 * excess / rate**2, periods=len(seen))


def _upper_factor(degrees: int) -> float:
    """s² · this bounds the true variance from above with 95% confidence: (k / χ²₀.₀₅(k)), the chi-square
    quantile by the Wilson–Hilferty approximation (exact enough from 10 degrees of freedom)."""
    a = 2 / (9 * degrees)
    quantile = degrees * (1 - a - CONFIDENCE_Z * math.sqrt(a)) ** 3
    return degrees / quantile
