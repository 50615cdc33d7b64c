"""One look at every exposed service: what the workflow sends the `look` activity and gets back.

Batched so a look costs the history a few events, however many services the step moves.
"""

from pydantic import BaseModel, Field

from cutover.analysis.counts import Side, Window
from cutover.analysis.v04.decision import Bound, Decision, Limits, State, at_end, look, strongest
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
    limits: Limits
    final: bool = Field(default=False, description="the bake is over: pass or inconclusive if not failed")


class ServiceLook(BaseModel):
    """One service's decision with its evidence: the counts, the e-values against their bounds (the
    test closest to failing; None where no test runs), the verdict and why."""

    service: str
    verdict: Verdict
    reasons: list[str]
    green: Side
    blue: Side
    comparison: Bound | None
    absolute: Bound | None
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
        comparison=strongest(state.comparison),
        absolute=strongest(state.absolute),
        state=state,
    )
