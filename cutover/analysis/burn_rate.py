"""Green against an absolute limit, judged the way SRE practice alerts on an error budget: a short and
a long window must both burn fast (Google's SRE workbook, "Alerting on SLOs": multiwindow,
multi-burn-rate alerts).

The burn rate is green's rate of bad events over a window divided by the rate the limit allows:
`max_error_rate` for errors; 1% for requests slower than `max_p99_latency_ms` (a p99 at the limit is
1% slower than it). Burning at 1 spends the budget exactly; green at the limit never fails.

RULES: fail when both windows of a rule burn at least its rate:
- 5 minutes and the last look, both at 5x: an outage is caught within about five minutes, a
  one-minute burst (unless at more than 20x) never;
- 30 minutes and 5 minutes, both at 2x: a sustained breach is caught within about half an hour, a
  burst of a few minutes under 5x never.
A rule does not fire while blue burns its own budget as fast in the same windows: an incident both
environments have is not green's doing (the comparison with blue still judges green's share of it).
At 100% green there is no blue traffic, and the rules judge green alone.

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
WINDOW_NAMES = {"last": "the last look", "short": "5m", "long": "30m"}


@dataclass(frozen=True)
class Rule:
    long: str  # the window the rule judges on: "short" or "long"
    short: str  # the window that confirms the burn goes on: "last" (the look itself) or "short"
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
class Windows:
    """One environment's 5- and 30-minute windows."""

    short: Counted = Counted()
    long: Counted = Counted()

    def add(self, last: Counted, seconds: float) -> "Windows":
        return Windows(self.short.decayed(seconds, SHORT_S) + last, self.long.decayed(seconds, LONG_S) + last)


@dataclass(frozen=True)
class Budget:
    """One metric's windows in both environments, and for how long the step has been watched."""

    green: Windows = Windows()
    blue: Windows = Windows()
    watched_s: float = 0.0

    def add(self, green: Counted, blue: Counted, seconds: float) -> "Budget":
        return Budget(
            self.green.add(green, seconds),
            self.blue.add(blue, seconds),
            min(self.watched_s + seconds, 10 * LONG_S),
        )


@dataclass(frozen=True)
class Burn:
    """Green's burn rates against the limit (None: the window cannot judge yet) and the rule that
    fired, if one did."""

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


def burning(budget: Budget, green: Counted, blue: Counted, allowed_rate: float) -> Burn | None:
    """Green's burn rates after a look whose counts were `green` and `blue`, and whether a rule fired
    (None where the limit is off: 0 or 100% allowed)."""
    if not 0 < allowed_rate < 1:
        return None
    green_windows = _windows(budget.green, green)
    blue_windows = _windows(budget.blue, blue)

    def rate(windows: dict[str, tuple[Counted, float]], name: str, judges: bool = False) -> float | None:
        """None: not watched for the window's length yet, no traffic in it, or (the window a rule
        judges on) too little traffic for MIN_ALLOWED bad events at the limit."""
        counted, length = windows[name]
        if budget.watched_s < length or counted.trials <= 0:
            return None
        if judges and counted.trials * allowed_rate < MIN_ALLOWED:
            return None
        return counted.bad / counted.trials / allowed_rate

    def burns(windows: dict[str, tuple[Counted, float]], rule: Rule) -> bool:
        long, short = rate(windows, rule.long, judges=True), rate(windows, rule.short)
        return long is not None and short is not None and min(long, short) >= rule.burn

    fired = next((r for r in RULES if burns(green_windows, r) and not burns(blue_windows, r)), None)
    last, short, long = (rate(green_windows, name) for name in ("last", "short", "long"))
    return Burn(last=last, short=short, long=long, fired=fired)


def _windows(windows: Windows, last: Counted) -> dict[str, tuple[Counted, float]]:
    return {"last": (last, 0.0), "short": (windows.short, SHORT_S), "long": (windows.long, LONG_S)}
