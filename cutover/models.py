"""Shared data shapes: signals, status, activity inputs and results."""

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from cutover.checks.results import CheckResult
from cutover.text import clip

# Bounds on what people send (signals): a record of them must stay small whatever they send.
SENDER_MAX = 100
TEXT_MAX = 1000  # a comment or a reason
REQUEST_ID_MAX = 64
# The status (query answer, review input) stays well inside Temporal's 2 MB payload limit.
TIMELINE_LIMIT = 500
TIMELINE_HEAD = 50  # the first events (discovery, plan) are kept when the middle is dropped
MESSAGE_MAX = 1200
# The status is the migration's result and the review's input: it keeps the latest decisions only
# (a 1,000-service migration makes 2,000 of them; each is about 2.5 KB with its looks).
ANALYSES_KEPT = 100
SERIES_POINTS = 24  # per step and service, for the review's plot of green and blue error rates
RECEIPTS_KEPT = 20
CHECKS_KEPT = 50  # the latest check results in the status; the timeline (and the store) has every one
REFUSALS_KEPT = 5

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
Sender = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SENDER_MAX, pattern=PRINTABLE)
]
FreeText = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=REQUEST_ID_MAX)]


class WorkloadKind(StrEnum):
    """The workloads cutover plans; a DaemonSet is known only to be refused (Fargate runs none)."""

    DEPLOYMENT = "deployment"
    STATEFULSET = "statefulset"
    CRONJOB = "cronjob"
    DAEMONSET = "daemonset"


class EventKind(StrEnum):
    """What a timeline line records; the review and the UI's details group by it."""

    PHASE = "phase"
    LEASES = "leases"
    DISCOVERED = "discovered"
    TARGET = "target"
    BATCH = "batch"
    MIGRATED = "migrated"
    HEALTH = "health"
    WEIGHTS = "weights"
    ANALYSIS = "analysis"
    GATE_OPEN = "gate-open"
    GATE_TIMEOUT = "gate-timeout"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAUSED = "paused"
    RESUMED = "resumed"
    ABORT = "abort"
    REFUSED = "refused"
    CUTOVER = "cutover"
    ROLLBACK = "rollback"
    UNDO = "undo"
    UNDO_STUCK = "undo-stuck"
    REVIEW = "review"
    REVERTED = "reverted"  # an operator sent everything back to blue during the standby window
    DECOMMISSION = "decommission"  # blue scaled to zero after the monitoring window, or kept
    CHECK = "check"  # one of the plan's checks ran: its verdict, what it measured
    UAT_ROUTE = "uat-route"  # testers' header or cookie route to green opened or closed
    NOTIFICATION = "notification"  # a notification a destination did not take
    FROZEN = "frozen"  # a change freeze held the migration at a step boundary, or lifted


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


class SignalPayload(BaseModel):
    """Who sent a signal; request_id (optional) asks for a receipt in the status."""

    sender: Sender
    request_id: RequestId | None = None


STARTED_BY_MEMO = "started_by"  # who started the migration (cutover start --as): gates.forbid_self_approval


class GateDecision(SignalPayload):
    """Payload of approve / reject; a signed one carries the claim it signed (`cutover approve
    --sign-with`: cutover.signatures.claim) and the armored `ssh-keygen -Y sign` signature."""

    gate: str = Field(min_length=1, max_length=64)
    comment: FreeText = ""
    claim: str | None = Field(default=None, max_length=2048, description="the signed claim, as signed")
    signature: str | None = Field(default=None, max_length=4096, description="ssh-keygen -Y sign, armored")


class Control(SignalPayload):
    """Payload of pause / resume / abort: who and why."""

    reason: FreeText = ""


class Receipt(BaseModel):
    """What the migration did with one signal that carried a request_id: how the CLI learns it."""

    request_id: str
    signal: str
    applied: bool
    message: str


class Event(BaseModel):
    time: datetime
    actor: str
    kind: EventKind
    message: str

    def line(self) -> str:
        """One timeline line, as `status`, `status --watch` and the demo print it.

        Control characters in free text become spaces: a comment cannot break the line or send
        escape sequences to the reader's terminal.
        """
        actor, message = (_CONTROL.sub(" ", text) for text in (self.actor, self.message))
        return f"  {self.time:%H:%M:%S}  {self.kind:<12} {actor:<14} {message}"


class OpenGate(BaseModel):
    name: str
    approvers: list[str]
    opened_at: datetime
    deadline: datetime
    note: str = Field(default="", description="what its approvers should know, e.g. how to reach green")
    needed: int = Field(default=1, description="distinct approvals that open it (gates.policies)")
    approved_by: list[str] = Field(default_factory=list, description="who approved it so far")
    verify: Literal["name", "signature"] = Field(
        default="name", description="gates.verify: whether a decision must be signed"
    )


class LookCounts(BaseModel):
    """What one look (or a run of neighbouring looks, merged) counted."""

    green_requests: int = 0
    green_errors: int = 0
    blue_requests: int = 0
    blue_errors: int = 0

    def __add__(self, other: "LookCounts") -> "LookCounts":
        return LookCounts(
            green_requests=self.green_requests + other.green_requests,
            green_errors=self.green_errors + other.green_errors,
            blue_requests=self.blue_requests + other.blue_requests,
            blue_errors=self.blue_errors + other.blue_errors,
        )


class Series(BaseModel):
    """A step's looks at even spacing in at most SERIES_POINTS points: when full, neighbours merge
    and each point then takes twice as many looks, so a long bake stays small."""

    points: list[LookCounts] = Field(default_factory=list)
    looks_per_point: int = 1
    looks_in_last: int = 0

    def add(self, counts: LookCounts) -> "Series":
        points, per_point, in_last = list(self.points), self.looks_per_point, self.looks_in_last
        if points and in_last < per_point:
            points[-1], in_last = points[-1] + counts, in_last + 1
        else:
            points, in_last = [*points, counts], 1
        if len(points) > SERIES_POINTS:
            # An odd count (SERIES_POINTS is even): the last point stays alone with its looks.
            points = [sum(points[i : i + 2], LookCounts()) for i in range(0, len(points), 2)]
            per_point *= 2
        return Series(points=points, looks_per_point=per_point, looks_in_last=in_last)


class AnalysisResult(BaseModel):
    service: str
    weight: int
    passed: bool
    green_error_rate: float
    blue_error_rate: float
    green_p99_ms: float
    blue_p99_ms: float
    reasons: list[str] = Field(default_factory=list)
    # From continuous analysis (v6): the step's counts so far, the evidence and its bound, the looks.
    verdict: str | None = None
    green_requests: int | None = None
    green_errors: int | None = None
    blue_requests: int | None = None
    blue_errors: int | None = None
    evidence: float | None = Field(default=None, description="e-value that green's error rate is worse")
    bound: float | None = Field(default=None, description="the e-value at which that fails: 1 / its alpha")
    looks: Series | None = None
    # From 0.5: latency as counts, the limits as burn rates.
    latency_evidence: float | None = Field(
        default=None, description="e-value that more of green's requests are slower than blue's p99"
    )
    latency_bound: float | None = None
    latency_threshold_ms: float | None = Field(default=None, description="blue's p99 in its baseline")
    latency_counted: bool | None = Field(
        default=None, description="False: the persistence rule on p99s judged latency (no guarantee)"
    )
    error_burn: float | None = Field(default=None, description="green's error-budget burn rate")
    latency_burn: float | None = Field(default=None, description="green's burn of a p99's 1% budget")


class Workload(BaseModel):
    service: str
    namespace: str
    kind: WorkloadKind
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


class CheckRecord(BaseModel):
    """A check's result where it ran (stage, and weight at a traffic step), and what its failure does."""

    stage: str
    weight: int | None = None
    on_fail: str
    result: CheckResult


class MigrationStatus(BaseModel):
    plan_name: str
    gates: list[str] = Field(default_factory=list, description="every gate of the plan, in order")
    phase: Phase = Phase.PENDING
    step: str = "starting"
    paused: bool = False
    frozen: str | None = Field(
        default=None, description="the change freeze holding the migration, if one does"
    )
    outcome: Outcome = Outcome.RUNNING
    outcome_reason: str = ""
    weights: dict[str, int] = Field(default_factory=dict)
    blue_weights: dict[str, int] = Field(
        default_factory=dict,
        description="set by a revert: each exposed service's green % before the migration, where the "
        "rollback routes it (what `cutover revert` waits for)",
    )
    open_gate: OpenGate | None = None
    stuck_undo: str | None = None
    uat_route: str | None = Field(default=None, description="while the uat gate is open: how to reach green")
    analyses: list[AnalysisResult] = Field(default_factory=list)
    analyses_omitted: int = Field(default=0, description="earlier decisions dropped: ANALYSES_KEPT are kept")
    watching: list[AnalysisResult] = Field(
        default_factory=list,
        description="the latest look per service while a bake or monitoring runs (the CLI fills it "
        "from the analysis groups' `watching` queries)",
    )
    analysis_groups: list[str] = Field(
        default_factory=list, description="workflow ids of the analysis groups, while they run"
    )
    timeline: list[Event] = Field(default_factory=list)
    events_recorded: int = Field(default=0, description="every event ever recorded, kept or not")
    notifications: int = Field(default=0, description="notifications sent: the next one's dedupe key")
    timeline_omitted: int = Field(default=0, description="events dropped after the first TIMELINE_HEAD")
    refusals: list[Event] = Field(default_factory=list, description="the last few refused inputs")
    receipts: list[Receipt] = Field(default_factory=list, description="answers to the last signals")
    report_path: str | None = None
    # The journal (cutover.journal): what the report store holds beyond this bounded status.
    events_stored: int = Field(
        default=0, description="timeline events, from the first, that stored pages cover (JournalPage)"
    )
    analyses_stored: int = Field(default=0, description="decisions, from the first, that stored pages cover")
    journal_pages: int = Field(default=0, description="pages in the store: the next page's seq")
    checks: list[CheckRecord] = Field(default_factory=list, description="the latest check results")
    analysis_group_count: int = Field(
        default=0, description="analysis groups started: each stores its decisions, a page per step"
    )

    def record(self, event: Event) -> None:
        """Append to the timeline, keeping its first and latest events within TIMELINE_LIMIT."""
        if len(event.message) > MESSAGE_MAX:
            event = event.model_copy(update={"message": clip(event.message, MESSAGE_MAX)})
        self.timeline.append(event)
        self.events_recorded += 1
        if len(self.timeline) > TIMELINE_LIMIT:
            del self.timeline[TIMELINE_HEAD]
            self.timeline_omitted += 1
        if event.kind == EventKind.REFUSED:
            self.refusals = [*self.refusals, self.timeline[-1]][-REFUSALS_KEPT:]

    def events_since(self, seen: int) -> list[Event]:
        """The events recorded after the first `seen` (by events_recorded), as far as they are kept."""
        start = seen if seen <= TIMELINE_HEAD else max(TIMELINE_HEAD, seen - self.timeline_omitted)
        return self.timeline[start:]

    def add_check(self, record: CheckRecord) -> None:
        self.checks = [*self.checks, record][-CHECKS_KEPT:]

    def add_analysis(self, result: AnalysisResult) -> None:
        self.analyses.append(result)
        if len(self.analyses) > ANALYSES_KEPT:
            del self.analyses[0]
            self.analyses_omitted += 1

    def answer(self, receipt: Receipt) -> None:
        self.receipts = [*self.receipts, receipt][-RECEIPTS_KEPT:]

    def receipt(self, request_id: str) -> Receipt | None:
        return next((r for r in self.receipts if r.request_id == request_id), None)


class ServiceRef(BaseModel):
    """Enough to act on one workload in one environment."""

    env: str
    service: str
    namespace: str
    kind: WorkloadKind
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
    since: datetime | None = Field(
        default=None,
        description="when the hand-over was asked for: scheduled times after it that disable_in did not "
        "run are run once in enable_in (histories before v5 have none and catch nothing up)",
    )


class HandoverOutcome(BaseModel):
    """Where the schedule is enabled after a hand-over, and the missed runs it started there."""

    enabled_in: list[str]
    caught_up: list[str] = Field(default_factory=list, description="Jobs started for missed scheduled times")

    @model_validator(mode="before")
    @classmethod
    def _from_v4(cls, data: object) -> object:
        """Histories before v5 recorded the hand-over's result as the list of environments."""
        return {"enabled_in": data} if isinstance(data, list) else data


class CronSchedule(BaseModel):
    """A CronJob's schedule in one environment, as the hand-over needs it to find missed runs."""

    schedule: str
    time_zone: str | None = None
    last_scheduled: datetime | None = Field(default=None, description="when it last started a run")
    resumed_at: datetime | None = Field(default=None, description="when a hand-over last enabled it")


class ReportRequest(BaseModel):
    workflow_id: str
    status: MigrationStatus


class JournalPage(BaseModel):
    """What one flush adds to a migration's journal: the events recorded and the decisions added since
    the page before, in order. Pages keep what the bounded status drops (cutover.journal)."""

    seq: int = Field(ge=0, description="the page's number in its migration, from 0")
    events: list[Event]
    analyses: list[AnalysisResult]
    events_omitted: int = Field(
        default=0, ge=0, description="events since the page before that the status dropped before this flush"
    )
    analyses_omitted: int = Field(
        default=0, ge=0, description="decisions since the page before that the status dropped before it"
    )


class JournalPageRequest(BaseModel):
    workflow_id: str
    page: JournalPage
