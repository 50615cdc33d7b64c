"""Anytime-valid tests on error counts: e-processes whose false-alarm chance stays below alpha
however often they are looked at (Ville's inequality), so a look every minute costs nothing.

Green versus blue: condition on the errors seen in a window. If green's error rate is at most
`tolerance` times blue's, each error is green's with probability at most
theta0 = tolerance * n_green / (tolerance * n_green + n_blue) (errors as rare events, Poisson
thinning). The likelihood ratio of "green's rate is rho times that" against theta0, mixed over a
grid of rho, is a non-negative supermartingale under that null hypothesis: crossing 1/alpha is
evidence, at level alpha, that green is worse. A window where either side had no requests tells
nothing and changes nothing (at 100% green the comparison rests; the absolute limit still runs).

Green against an absolute limit: the same construction for a binomial error rate against
`limit`, mixed over rates above it.

The state is a tuple of log likelihood ratios, one per grid point: small and serialisable. Where
each one starts and with which alpha is cutover.analysis.decision's business (spread_alpha).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Alternatives, in multiples of the null's rate, and their weights in the mixture. A point's
# weight is the share of the evidence it can claim: 2x, the regression a migration must catch
# quickly, gets half; 1.5x is still caught, later; a larger regression is caught by 3.0 at once.
# Fewer points decide sooner on what they cover: with 1.5..5 or 1.25..10 evenly, 2x at 5% of
# traffic took a minute longer (bench/analysis_quality.py).
RATIOS: tuple[float, ...] = (1.5, 2.0, 3.0)
WEIGHTS: tuple[float, ...] = (0.25, 0.5, 0.25)


def _mixture(logs: Sequence[float]) -> float:
    """log of the weighted mean of exp(logs): the mixture's e-value, computed without overflow."""
    top = max(logs)
    return top + math.log(sum(w * math.exp(v - top) for w, v in zip(WEIGHTS, logs, strict=True)))


@dataclass(frozen=True)
class Evidence:
    """An e-process's state and its current e-value (log)."""

    logs: tuple[float, ...]

    @property
    def log_e(self) -> float:
        return _mixture(self.logs)

    def rejects(self, alpha: float) -> bool:
        return self.log_e >= math.log(1 / alpha)


def fresh() -> Evidence:
    return Evidence(logs=tuple(0.0 for _ in RATIOS))


def compare(
    evidence: Evidence,
    green_requests: int,
    green_errors: int,
    blue_requests: int,
    blue_errors: int,
    tolerance: float = 1.0,
) -> Evidence:
    """Add one window's counts to the green-versus-blue e-process."""
    if green_requests == 0 or blue_requests == 0:
        return evidence
    weighted = tolerance * green_requests
    theta0 = weighted / (weighted + blue_requests)
    logs = []
    for ratio, log in zip(RATIOS, evidence.logs, strict=True):
        theta = ratio * weighted / (ratio * weighted + blue_requests)
        logs.append(
            log + green_errors * math.log(theta / theta0) + blue_errors * math.log((1 - theta) / (1 - theta0))
        )
    return Evidence(tuple(logs))


def above_limit(evidence: Evidence, requests: int, errors: int, limit: float) -> Evidence:
    """Add one window's green counts to the e-process for "green's error rate exceeds limit"."""
    if requests == 0 or not 0 < limit < 1:
        return evidence
    logs = []
    for ratio, log in zip(RATIOS, evidence.logs, strict=True):
        rate = min(limit * ratio, (1 + limit) / 2)
        logs.append(
            log + errors * math.log(rate / limit) + (requests - errors) * math.log((1 - rate) / (1 - limit))
        )
    return Evidence(tuple(logs))
