"""Can each step see enough green traffic to pass? An estimate from the traffic the operator expects
(or, at `cutover start`, blue's recent traffic where the plan states none).

A step passes only once green has served analysis.min_requests in it; fewer by the end of the bake
is inconclusive, and the plan's on_inconclusive pauses, rolls back or extends (README: Analysis).
Green's share of the requests a service serves, over the looks of one bake, says beforehand which
steps cannot get there: at 100 requests/s, a 2s bake at 2% sees 4 green requests, not 1000.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from cutover.plan.look_schedule import LookSchedule, look_schedule
from cutover.plan.model import InconclusiveAction, Plan, Service
from cutover.plan.steps import StepKind


@dataclass(frozen=True)
class AnalysedStep:
    """A stretch the analysis judges: a traffic step's bake, or the monitoring window."""

    kind: StepKind  # TRAFFIC or MONITOR, as in the step sequence
    weight: int  # green's percentage of the traffic
    length: timedelta
    length_field: str  # the plan field that sets its length
    looks: LookSchedule

    @property
    def name(self) -> str:
        return f"step {self.weight}%" if self.kind is StepKind.TRAFFIC else "monitoring window"

    @property
    def unit(self) -> str:
        return "bake" if self.kind is StepKind.TRAFFIC else "window"


def analysed_steps(plan: Plan) -> list[AnalysedStep]:
    """Every step the workflow watches, in order: each traffic weight (100% too), then monitoring."""
    interval, bake, window = plan.analysis.interval, plan.traffic.bake, plan.monitoring.window
    steps = [
        AnalysedStep(StepKind.TRAFFIC, weight, bake, "traffic.bake", look_schedule(bake, interval))
        for weight in plan.traffic.steps
    ]
    monitoring = AnalysedStep(
        StepKind.MONITOR, 100, window, "monitoring.window", look_schedule(window, interval)
    )
    return [*steps, monitoring]


@dataclass(frozen=True)
class ExpectedTraffic:
    """Services expected to serve `rps` requests per second, blue and green together."""

    rps: float
    services: tuple[str, ...]


def stated_rps(plan: Plan, service: Service) -> float | None:
    """The requests/s the plan states for a service: its own expected_rps, else analysis.expected_rps."""
    return service.expected_rps or plan.analysis.expected_rps


def expected_traffic(
    plan: Plan, services: Sequence[Service], measured: Mapping[str, float] | None = None
) -> tuple[list[ExpectedTraffic], list[str]]:
    """The services grouped by the traffic expected of them (stated_rps; else `measured`, requests/s
    by service name, read from blue: stated traffic wins), and the names of those with neither."""
    by_rps: dict[float, list[str]] = {}
    unknown = []
    for service in services:
        rps = stated_rps(plan, service)
        if rps is None:
            rps = (measured or {}).get(service.name)
        if rps is None:
            unknown.append(service.name)
        else:
            by_rps.setdefault(rps, []).append(service.name)
    return [ExpectedTraffic(rps, tuple(names)) for rps, names in by_rps.items()], unknown


@dataclass(frozen=True)
class StepEstimate:
    """Green's expected requests in one analysed step, for the services of one ExpectedTraffic."""

    step: AnalysedStep
    traffic: ExpectedTraffic
    min_requests: int
    bakes: int  # how many bakes the step may take before it is decided: 2 with on_inconclusive extend

    @property
    def per_look(self) -> float:
        """Green's requests in one whole look (the last may count less)."""
        return self._green(self.step.looks.every)

    @property
    def per_bake(self) -> float:
        return self._green(self.step.looks.counted)

    @property
    def reaches_min_requests(self) -> bool:
        return self.per_bake * self.bakes >= self.min_requests

    @property
    def needs_extension(self) -> bool:
        return self.reaches_min_requests and self.per_bake < self.min_requests

    def _green(self, window: timedelta) -> float:
        return self.traffic.rps * self.step.weight / 100 * window.total_seconds()


def estimate_steps(plan: Plan, traffic: ExpectedTraffic) -> list[StepEstimate]:
    """Each analysed step's green requests for services serving traffic.rps."""
    bakes = 2 if plan.analysis.on_inconclusive is InconclusiveAction.EXTEND else 1
    return [StepEstimate(step, traffic, plan.analysis.min_requests, bakes) for step in analysed_steps(plan)]


@dataclass(frozen=True)
class TrafficCheck:
    """The estimates for every group of services, and the services left unchecked."""

    estimates: list[StepEstimate]
    unknown: list[str]

    def names_services(self) -> bool:
        """Lines name their services only when they do not speak for every one."""
        return len({estimate.traffic for estimate in self.estimates}) > 1 or bool(self.unknown)


def check_traffic(
    plan: Plan, services: Sequence[Service], measured: Mapping[str, float] | None = None
) -> TrafficCheck:
    """The estimate for `services`, those the migration analyses (or may: see may_be_exposed), at
    their stated traffic or else their `measured` one (see expected_traffic)."""
    groups, unknown = expected_traffic(plan, services, measured)
    return TrafficCheck([e for traffic in groups for e in estimate_steps(plan, traffic)], unknown)
