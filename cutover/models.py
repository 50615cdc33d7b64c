"""Shared data shapes: signals, status, activity inputs and results."""

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field


class Phase(StrEnum):
    PENDING = "pending"
    PREPARATION = "preparation"
    NON_EXPOSED = "non-exposed-migration"
    PARALLEL = "parallel-operation"
    VALIDATION = "validation"
    FULL_CUTOVER = "full-cutover"
    REVIEW = "post-release-review"
    ROLLING_BACK = "rolling-back"
    DONE = "done"


class Outcome(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled-back"


class GateDecision(BaseModel):
    gate: str
    sender: str = Field(min_length=1)
    comment: str = ""


class Control(BaseModel):
    """Payload of pause / resume / abort: who and why."""

    sender: str = Field(min_length=1)
    reason: str = ""


class Event(BaseModel):
    time: datetime
    actor: str
    kind: str
    message: str

    def line(self) -> str:
        """One timeline line, as `status`, `status --watch` and the demo print it."""
        return f"  {self.time:%H:%M:%S}  {self.kind:<12} {self.actor:<14} {self.message}"


class OpenGate(BaseModel):
    name: str
    approvers: list[str]
    opened_at: datetime
    deadline: datetime


class AnalysisResult(BaseModel):
    service: str
    weight: int
    passed: bool
    green_error_rate: float
    blue_error_rate: float
    green_p99_ms: float
    blue_p99_ms: float
    reasons: list[str] = Field(default_factory=list)


class Workload(BaseModel):
    service: str
    namespace: str
    kind: str
    name: str
    exposed: bool
    replicas: int = 1
    image: str = ""
    suspended: bool = False
    unsupported: str = Field(
        default="", description="why the target (Fargate) cannot run it; empty if it can"
    )


class Inventory(BaseModel):
    """What preparation found in blue and recorded so rollback can restore it."""

    workloads: list[Workload]
    blue_weights: dict[str, int] = Field(default_factory=dict)


class MigrationStatus(BaseModel):
    plan_name: str
    gates: list[str] = Field(default_factory=list, description="every gate of the plan, in order")
    phase: Phase = Phase.PENDING
    step: str = "starting"
    paused: bool = False
    outcome: Outcome = Outcome.RUNNING
    outcome_reason: str = ""
    weights: dict[str, int] = Field(default_factory=dict)
    open_gate: OpenGate | None = None
    stuck_undo: str | None = None
    analyses: list[AnalysisResult] = Field(default_factory=list)
    timeline: list[Event] = Field(default_factory=list)
    report_path: str | None = None


class ServiceRef(BaseModel):
    """Enough to act on one workload in one environment."""

    env: str
    service: str
    namespace: str
    kind: str
    name: str
    replicas: int = 1
    image: str = ""
    keep_at_zero: bool = Field(
        default=False,
        description="removing this copy scales it to zero (a CronJob: suspends) instead of deleting",
    )


class RolloutWait(BaseModel):
    ref: ServiceRef
    timeout: timedelta


class TargetCapacity(BaseModel):
    """The namespaces green must be able to schedule."""

    namespaces: list[str]


class CronRunWait(BaseModel):
    ref: ServiceRef
    timeout: timedelta


class WeightChange(BaseModel):
    service: str
    namespace: str
    blue_env: str
    green_env: str
    green_percent: int


class AnalysisRequest(BaseModel):
    service: str
    namespace: str
    blue_env: str
    green_env: str
    weight: int
    max_error_rate: float
    max_p99_latency_ms: float
    max_error_rate_increase: float
    max_latency_ratio: float


class CronHandover(BaseModel):
    service: str
    namespace: str
    name: str
    enable_in: str
    disable_in: str
    keep_suspended: bool = Field(
        default=False, description="leave enable_in suspended: restores a schedule that was paused before"
    )
    active_jobs_timeout: timedelta = Field(
        default=timedelta(minutes=30), description="how long disable_in's running Jobs may take to finish"
    )


class ReportRequest(BaseModel):
    workflow_id: str
    status: MigrationStatus
