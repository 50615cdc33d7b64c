"""Green against blue on one metric (errors, or requests slower than blue's p99), across the migration.

Each analysed step starts its own StepTest with its share of alpha; all of them run on to the end
(spread_alpha in cutover.analysis.decision says why). One Detector runs beside them from the first
step for regressions that start mid-bake. The noise model is re-learned from blue's history at each
step (cutover.analysis.noise).
"""

import math
from dataclasses import dataclass, replace

from cutover.analysis.betting import Detector, Look, StepTest
from cutover.analysis.noise import Noise, assumed


@dataclass(frozen=True)
class Bound:
    """The test closest to failing: its e-value and the bound it fails at (display only)."""

    e_value: float
    bound: float
    detector: bool = False  # the change detector, not a step's test


@dataclass(frozen=True)
class Comparison:
    tests: tuple[StepTest, ...] = ()
    detector: Detector | None = None
    noise: Noise | None = None  # None until a baseline (or the first look) sets it

    def next_step(self, alpha: float, detector_log_bound: float) -> "Comparison":
        """A new step: its own test starts (none where alpha is 0); the detector starts once."""
        tests = (*self.tests, StepTest(alpha)) if alpha > 0 else self.tests
        return replace(self, tests=tests, detector=self.detector or Detector(detector_log_bound))

    def add(
        self, green_trials: int, green_bad: int, blue_trials: int, blue_bad: int, tolerance: float
    ) -> "Comparison":
        noise = self.noise or assumed(_rate(blue_bad, blue_trials))
        look = Look(
            green_trials,
            green_bad,
            blue_trials,
            blue_bad,
            inflation=noise.inflation(green_trials, blue_trials, tolerance),
            tolerance=tolerance,
        )
        return replace(
            self,
            tests=tuple(test.add(look) for test in self.tests),
            detector=self.detector.add(look) if self.detector else None,
            noise=noise,
        )

    @property
    def crossed(self) -> Bound | None:
        """The strongest test at or over its bound, if any."""
        strongest = self.strongest
        return strongest if strongest is not None and strongest.e_value >= strongest.bound else None

    @property
    def strongest(self) -> Bound | None:
        candidates = [(t.log_e, t.log_bound, False) for t in self.tests]
        if self.detector is not None:
            candidates.append((self.detector.log_e, self.detector.log_bound, True))
        if not candidates:
            return None
        log_e, log_bound, detector = max(candidates, key=lambda c: c[0] - c[1])
        return Bound(_exp(log_e), _exp(log_bound), detector)


def _rate(bad: int, trials: int) -> float:
    return bad / trials if trials else 0.0


def _exp(log: float) -> float:
    return math.exp(min(log, 700.0))
