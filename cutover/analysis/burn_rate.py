"""Green against an absolute limit, judged the way SRE practice alerts on an error budget: a short and
a long window must both burn fast (Google's SRE workbook, "Alerting on SLOs": multiwindow,
multi-burn-rate alerts).

The burn rate is green's rate of bad events over a window divided by the rate the limit allows:
`max_error_rate` for errors; 1% for requests slower than `max_p99_latency_ms` (a p99 at the limit is
1% slower than it). Burning at 1 spends the budget exactly; green at the limit never fails.

RULES: fail when both windows of a rule burn at least its rate:
- 5 minutes and the last look, both at 5x: an outage is caught within about five minutes, a one-look
  burst (the last look alone) never;
- 30 minutes and 5 minutes, both at 2x: a sustained breach is caught within about half an hour, a
  five-minute burst never.

The windows are exponentially weighted with time constants of 5 and 30 minutes, so the state stays a
few numbers per metric whatever the look interval. They start with each step (green's share of the
traffic changed, so the step before would swamp or dilute the new minutes); a window judges only once
the step has been watched for its whole length, and only on enough traffic that the limit allows at
least MIN_ALLOWED bad events in it (so a few requests with one error among them cannot fail a step).
"""

import math
from dataclasses import dataclass

SHORT_S, LONG_S = 300.0, 1800.0
MIN_ALLOWED = 10.0


@dataclass(frozen=True)
class Rule:
    long: str  # "last" (the look itself), "short" or "long"
    short: str
    burn: float


RULES = (Rule("short", "last", 5.0), Rule("long", "short", 2.0))


@dataclass(frozen=True)
class Counted:
    """Trials and bad events in a window (exponentially weighted: fractions of events)."""

    trials: float = 0.0
    bad: float = 0.0

    def decayed(self, seconds: float, time_constant: float) -> "Counted":
        weight = math.exp(-seconds / time_constant)
        return Counted(self.trials * weight, self.bad * weight)

    def __add__(self, other: "Counted") -> "Counted":
        return Counted(self.trials + other.trials, self.bad + other.bad)


@dataclass(frozen=True)
class Budget:
    """One metric's windows: how much green traffic they saw and for how long it has been watched."""

    short: Counted = Counted()
    long: Counted = Counted()
    watched_s: float = 0.0

    def add(self, last: Counted, seconds: float) -> "Budget":
        return Budget(
            short=self.short.decayed(seconds, SHORT_S) + last,
            long=self.long.decayed(seconds, LONG_S) + last,
            watched_s=min(self.watched_s + seconds, 10 * LONG_S),
        )


WINDOW_NAMES = {"last": "the last look", "short": "5m", "long": "30m"}


@dataclass(frozen=True)
class Burn:
    """The windows' burn rates against the limit (None: the window cannot judge yet) and the rule
    that fired, if one did."""

    last: float | None
    short: float | None
    long: float | None
    fired: Rule | None

    def rate(self, window: str) -> float | None:
        return {"last": self.last, "short": self.short, "long": self.long}[window]

    def text(self) -> str:
        """Why it fired, in the rule's own windows."""
        rule = self.fired
        assert rule is not None
        return (
            f"{self.rate(rule.long) or 0:.1f}x over {WINDOW_NAMES[rule.long]} and "
            f"{self.rate(rule.short) or 0:.1f}x over {WINDOW_NAMES[rule.short]}, both at least {rule.burn:g}x"
        )


def burning(budget: Budget, last: Counted, allowed_rate: float) -> Burn | None:
    """The burn rates after a look (None where the limit is off: 0 or 100% allowed)."""
    if not 0 < allowed_rate < 1:
        return None
    windows = {"last": (last, 0.0), "short": (budget.short, SHORT_S), "long": (budget.long, LONG_S)}

    def rate(name: str, judges: bool = False) -> float | None:
        """None: not watched for the window's length yet, no traffic in it, or (for the window a
        rule judges on) too little traffic for MIN_ALLOWED bad events at the limit."""
        counted, length = windows[name]
        if budget.watched_s < length or counted.trials <= 0:
            return None
        if judges and counted.trials * allowed_rate < MIN_ALLOWED:
            return None
        return counted.bad / counted.trials / allowed_rate

    fired = next(
        (
            rule
            for rule in RULES
            if (long := rate(rule.long, judges=True)) is not None
            and (short := rate(rule.short)) is not None
            and min(long, short) >= rule.burn
        ),
        None,
    )
    return Burn(last=rate("last"), short=rate("short"), long=rate("long"), fired=fired)
