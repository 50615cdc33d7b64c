"""Is green's rate of bad events (errors, slow requests) above blue's? Sequential tests that hold a
stated false-alarm chance however often they look, and keep it when the counts come in bursts.

One look gives each side's trials (requests or latency samples) and bad events. If green's rate is
at most `tolerance` (t) times blue's, each bad event is green's with probability at most
θ₀ = t·n_g / (t·n_g + n_b); "green is ρ times that" makes it θ = ρθ₀ / (ρθ₀ + 1 − θ₀). The look's
log likelihood ratio of θ against θ₀ is linear in the counts, so its mean under the null is at most
0 whatever blue's rate does from look to look.

Bursts (cutover.analysis.noise): when each side's rate moves on its own, the counts vary `inflation`
(φ) times more than Poisson. Each look's log likelihood ratio is divided by φ (tempered): to second
order that makes exp(ℓ/φ) a martingale again, and for Poisson counts (φ = 1) it is exact. The product
over looks is then an e-process: by Ville's inequality the chance it ever reaches 1/α under the null
is at most α, however many looks.

StepTest bets on the ratio the data so far suggest (a predictable plug-in, which keeps the guarantee):
it starts at PRIOR_RATIO, the regression a migration must catch quickly, and follows the recent looks
(half-life HALF_LIFE_LOOKS), never below 1. A healthy green soon pulls the bet to about 1, where it
costs almost nothing, so the evidence does not sink far; a regression of 1.2× on large traffic is
bet on at about 1.2, its best rate.

Detector is an e-CUSUM (Shin, Ramdas and Rinaldo, "E-detectors"): the same tempered ratio at
DETECTOR_RATIO, restarted whenever its evidence falls below 1, so a regression that starts mid-bake
meets evidence at 1, not evidence that sank during the healthy minutes. Its guarantee is on time, not
probability: on a healthy green it reaches its bound B on average no sooner than B looks.
"""

import math
from dataclasses import dataclass, replace

PRIOR_RATIO = 2.0
PRIOR_WEIGHT = 12.0  # in expected bad events: about four looks of a 5% step at 100 requests/s
HALF_LIFE_LOOKS = 6.0
MAX_RATIO = 10.0
DETECTOR_RATIO = 2.0
_DECAY = 0.5 ** (1 / HALF_LIFE_LOOKS)


@dataclass(frozen=True)
class Look:
    """One look's counts for one metric, and how many times Poisson noise they vary (φ)."""

    green_trials: int
    green_bad: int
    blue_trials: int
    blue_bad: int
    inflation: float = 1.0
    tolerance: float = 1.0

    @property
    def compared(self) -> bool:
        """A side without trials tells nothing (at 100% green the comparison rests)."""
        return self.green_trials > 0 and self.blue_trials > 0

    def evidence(self, ratio: float) -> float:
        """Tempered log likelihood ratio of "green's rate is `ratio` × t × blue's" against "t × blue's"."""
        if not self.compared or ratio <= 1:
            return 0.0
        weighted = self.tolerance * self.green_trials
        null = weighted / (weighted + self.blue_trials)
        alternative = ratio * null / (ratio * null + 1 - null)
        log_ratio = self.green_bad * math.log(alternative / null) + self.blue_bad * math.log(
            (1 - alternative) / (1 - null)
        )
        return log_ratio / self.inflation

    @property
    def expected_green_bad(self) -> float:
        """Green's bad events if its rate were exactly t × blue's in this look."""
        return self.tolerance * self.green_trials * self.blue_bad / self.blue_trials


@dataclass(frozen=True)
class StepTest:
    """The e-process a step starts: fails when log_e ≥ log(1/alpha). green / expected: the recent
    looks' bad events and what t × blue's rate predicted, with the prior's pseudo-events."""

    alpha: float
    log_e: float = 0.0
    green: float = PRIOR_RATIO * PRIOR_WEIGHT
    expected: float = PRIOR_WEIGHT

    @property
    def ratio(self) -> float:
        """The bet: the recent ratio of green's bad events to blue's prediction, within 1..MAX_RATIO."""
        return min(MAX_RATIO, max(1.0, self.green / self.expected))

    @property
    def log_bound(self) -> float:
        return math.log(1 / self.alpha)

    def add(self, look: Look) -> "StepTest":
        if not look.compared:
            return self
        return replace(
            self,
            log_e=self.log_e + look.evidence(self.ratio),
            green=self.green * _DECAY + look.green_bad,
            expected=self.expected * _DECAY + look.expected_green_bad,
        )


@dataclass(frozen=True)
class Detector:
    """e-CUSUM at DETECTOR_RATIO: fails when log_e ≥ log_bound."""

    log_bound: float
    log_e: float = 0.0

    def add(self, look: Look) -> "Detector":
        if not look.compared:
            return self
        return replace(self, log_e=max(self.log_e, 0.0) + look.evidence(DETECTOR_RATIO))
