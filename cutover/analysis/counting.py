"""One look's request for counts and what comes back: numbers only, the judging is the workflow's.

An analysis group (cutover.workflows.analysis_group) keeps each service's evidence (decision.State)
in its own workflow and judges there, so what crosses the activity boundary per service and look is
a window of counts, and at a step's first look what blue's baseline taught (decision.Learned): a few
hundred bytes, however long the migration has been watching.
"""

from pydantic import BaseModel, Field

from cutover.analysis.counts import Window
from cutover.analysis.decision import Learned

BASELINE_PERIODS = 120  # blue's periods read before a step: two hours at one-minute looks


class Counting(BaseModel):
    service: str
    namespace: str
    threshold_ms: float | None = Field(description="blue's baseline p99: slow means slower than this")
    learn: bool = Field(default=False, description="a step's first look: read blue's baseline first")


class CountRequest(BaseModel):
    services: list[Counting]
    blue_env: str
    green_env: str
    window_seconds: float = Field(gt=0)
    interval_seconds: float = Field(gt=0, description="analysis.interval: the baseline's period")
    limit_ms: float = Field(gt=0, description="max_p99_latency_ms: green's own latency limit")


class Counted(BaseModel):
    service: str
    window: Window
    learned: Learned | None = None
