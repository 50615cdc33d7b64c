"""One look at every exposed service: what the workflow sends the `look` activity and gets back.

Batched so a look costs the history a few events, however many services the step moves.
"""

import math

from pydantic import BaseModel, Field

from cutover.analysis.counts import Side, Window
from cutover.analysis.decision import Decision, Limits, State, Verdict, at_end, look


class Watched(BaseModel):
    service: str
    namespace: str
    state: State = Field(default_factory=State.start)


class LookRequest(BaseModel):
    services: list[Watched]
    blue_env: str
    green_env: str
    window_seconds: float = Field(gt=0)
    limits: Limits
    final: bool = Field(default=False, description="the bake is over: pass or inconclusive if not failed")


class ServiceLook(BaseModel):
    """One service's decision with its evidence: the counts, the e-values, the verdict and why."""

    service: str
    verdict: Verdict
    reasons: list[str]
    green: Side
    blue: Side
    comparison_e: float
    absolute_e: float
    state: State


def decide(watched: Watched, window: Window, limits: Limits, final: bool) -> ServiceLook:
    """Add the window; at the bake's end a service that did not fail passes or is inconclusive."""
    decision: Decision = look(watched.state, window, limits)
    if final and decision.verdict is Verdict.WATCHING:
        decision = at_end(decision.state, limits)
    state = decision.state
    return ServiceLook(
        service=watched.service,
        verdict=decision.verdict,
        reasons=list(decision.reasons),
        green=window.green,
        blue=window.blue,
        comparison_e=_e(state.comparison.log_e),
        absolute_e=_e(state.absolute.log_e),
        state=state,
    )


def _e(log_e: float) -> float:
    return math.exp(min(log_e, 700.0))
