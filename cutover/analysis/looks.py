"""One look at every exposed service: what the workflow sends the look activity and gets back.

Batched so a look costs the history a few events, however many services the step moves. The first
look of a step also reads blue's baseline (State.baseline_due), so the step judges with the noise
blue shows now.
"""

from pydantic import BaseModel, Field

from cutover.analysis.burn_rate import Burn
from cutover.analysis.comparison import Bound
from cutover.analysis.counts import Side, Window
from cutover.analysis.decision import Limits, State, at_end, look
from cutover.analysis.verdict import Verdict


class Watched(BaseModel):
    service: str
    namespace: str
    state: State


class LookRequest(BaseModel):
    services: list[Watched]
    blue_env: str
    green_env: str
    window_seconds: float = Field(gt=0)
    interval_seconds: float = Field(gt=0, description="analysis.interval: the baseline's period")
    limits: Limits
    final: bool = Field(default=False, description="the bake is over: pass or inconclusive if not failed")


class ServiceLook(BaseModel):
    """One service's decision with its evidence: the counts, each judge closest to failing (None
    where it does not run), the verdict and why."""

    service: str
    verdict: Verdict
    reasons: list[str]
    green: Side
    blue: Side
    errors: Bound | None = None
    latency: Bound | None = None
    error_burn: Burn | None = None
    latency_burn: Burn | None = None
    latency_counted: bool = False
    state: State


def decide(watched: Watched, window: Window, request: LookRequest) -> ServiceLook:
    """The look of 0.5's activity (look_at_counts): judge, as the analysis groups of 0.6 do."""
    return judge(
        watched.service, watched.state, window, request.limits, request.window_seconds, request.final
    )


def judge(
    service: str, state: State, window: Window, limits: Limits, seconds: float, final: bool
) -> ServiceLook:
    """Add the window; at the bake's end a service that did not fail passes or is inconclusive."""
    decision = look(state, window, limits, seconds)
    if final and decision.verdict is Verdict.WATCHING:
        decision = at_end(decision, limits)
    judged = decision.judged
    return ServiceLook(
        service=service,
        verdict=decision.verdict,
        reasons=list(decision.reasons),
        green=window.green,
        blue=window.blue,
        errors=judged.errors,
        latency=judged.latency,
        error_burn=judged.error_burn,
        latency_burn=judged.latency_burn,
        latency_counted=judged.latency_counted,
        state=decision.state,
    )
