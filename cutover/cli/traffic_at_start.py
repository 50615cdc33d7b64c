"""`cutover start`'s traffic check: can each step reach analysis.min_requests?

`plan validate` can only estimate from the traffic a plan states. At `start` the worker's metrics
source is at hand, so a service the plan states no traffic for is estimated from blue's recent
traffic: the same baseline the analysis reads before each step. The check is advice: it warns,
and never stops a migration from starting.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from cutover.analysis.counting import BASELINE_PERIODS
from cutover.analysis.counts import Baseline
from cutover.durations import format_duration
from cutover.plan.model import Plan, Service
from cutover.plan.traffic_estimate import check_traffic, stated_rps
from cutover.plan.traffic_report import names, rate, traffic_warnings
from cutover.platform.interfaces import MetricsSource


@dataclass(frozen=True)
class RecentTraffic:
    """Blue's requests/s per service name, over the last `span`."""

    rps: dict[str, float]
    span: timedelta

    def describe(self) -> str:
        """'checkout 100 req/s, catalog 100 req/s (last 2h)'."""
        measured = [f"{service} {rate(rps)} req/s" for service, rps in self.rps.items()]
        return f"blue's recent traffic: {names(measured)} (last {format_duration(self.span)})"


@dataclass(frozen=True)
class TrafficNotes:
    """What `start` prints: blue's traffic where it was read (stdout), and the warnings (stderr)."""

    recent: str | None
    warnings: list[str]


class TrafficUnread(Exception):
    """Blue's recent traffic could not be read; the message says for which service and why."""


def traffic_at_start(plan: Plan, exposed: Sequence[Service], metrics: MetricsSource) -> TrafficNotes:
    """The warnings `plan validate` gives, at the stated traffic or else blue's recent traffic; one
    warning instead when that traffic cannot be read."""
    unstated = [service for service in exposed if stated_rps(plan, service) is None]
    if not unstated:
        return TrafficNotes(None, traffic_warnings(plan, check_traffic(plan, exposed)))
    try:
        recent = _recent_traffic(plan, unstated, metrics)
    except TrafficUnread as error:
        return TrafficNotes(None, [f"traffic check skipped: {error}"])
    check = check_traffic(plan, exposed, recent.rps)
    return TrafficNotes(recent.describe(), traffic_warnings(plan, check))


def _recent_traffic(plan: Plan, services: Sequence[Service], metrics: MetricsSource) -> RecentTraffic:
    """Blue's requests/s for each service over the periods the analysis reads before a step."""
    baselines = {service.name: _baseline(plan, service, metrics) for service in services}
    return RecentTraffic(
        {name: _about(recent_rps(baseline)) for name, baseline in baselines.items()},
        max(_span(baseline) for baseline in baselines.values()),
    )


def recent_rps(baseline: Baseline) -> float:
    """Requests over the baseline's whole span: a period with none is time without traffic."""
    return sum(period.requests for period in baseline.periods) / _span(baseline).total_seconds()


def _baseline(plan: Plan, service: Service, metrics: MetricsSource) -> Baseline:
    try:
        return metrics.baseline(
            plan.source.name,
            service.namespace,
            service.name,
            plan.analysis.interval,
            BASELINE_PERIODS,
            plan.analysis.max_p99_latency_ms,
        )
    # Any failure, not only PlatformError: botocore's own errors (no credentials) and the local
    # environment's missing state file reach here too, and a traffic estimate never stops `start`.
    except Exception as error:
        why = str(error) or type(error).__name__
        raise TrafficUnread(f"cannot read blue's recent traffic for {service.name}: {why}") from error


def _span(baseline: Baseline) -> timedelta:
    """The time the baseline covers (the source may have rounded the period to its resolution)."""
    return timedelta(seconds=len(baseline.periods) * baseline.period_seconds)


def _about(rps: float) -> float:
    """Three significant digits: a measured rate is no more exact, and lines stay readable."""
    return float(f"{rps:.3g}")
