"""The migration plan: what the operator writes, what the workflow takes as input."""

import json
import re
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
)

from cutover.analysis import decision
from cutover.durations import Duration, format_duration
from cutover.models import WorkloadKind
from cutover.plan.checks import MAX_CHECKS, Check, check_problems
from cutover.plan.fields import NAME_PATTERN, Limit, Strict, within
from cutover.plan.file import PlanFileError, read_plan_file
from cutover.plan.notify import REMIND_BEFORE_BOUNDS, Notify
from cutover.plan.pattern_words import pattern_words
from cutover.plan.uat import UatSettings
from cutover.text import shown

DEFAULT_STEPS = [2, 25, 75, 100]
# The gate after the monitoring window that gives blue up (monitoring.decommission).
DECOMMISSION_GATE = "decommission"
# Kubernetes object names (RFC 1123 subdomain); the length is checked first, so matching stays cheap.
OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
OBJECT_NAME_LENGTH = 253

# Temporal refuses payloads over 2 MB and warns over 512 KB; the plan is the workflow's input.
MAX_PLAN_BYTES = 512 * 1024
MAX_SERVICES = 1000
MAX_TRAFFIC_STEPS = 20
MAX_GATES = MAX_TRAFFIC_STEPS + 1  # uat, one per step below 100 (the last step is 100), full-cutover
MAX_APPROVERS = 50
# Requests per second one service may be expected to serve: far above any real service, low enough
# that every estimate made from it (rps x seconds of a 7-day bake) stays an ordinary number.
MAX_EXPECTED_RPS = 10_000_000

SECOND, MINUTE, HOUR, DAY = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
# The shortest and longest value of each duration. A migration whose single wait spans months
# holds its workloads' leases and its approvers' attention; these bounds keep every deadline
# (now + duration) far inside datetime's range and timers and polling activities sane. A
# lower bound of 1s keeps a check loop from spinning; a gate gets at least a minute to be seen.
DURATION_BOUNDS: dict[str, tuple[timedelta, timedelta]] = {
    "traffic.bake": (timedelta(0), 7 * DAY),
    "parallel_operation.duration": (timedelta(0), 30 * DAY),
    "parallel_operation.health_check_interval": (SECOND, DAY),
    "gates.timeout": (MINUTE, 30 * DAY),
    "monitoring.window": (timedelta(0), 30 * DAY),
    "monitoring.check_interval": (SECOND, DAY),
    "rollout.timeout": (SECOND, 24 * HOUR),
    "cronjobs.active_jobs_timeout": (SECOND, 7 * DAY),
    "cronjobs.first_run_timeout": (SECOND, 35 * DAY),  # a monthly schedule's first run may be 31 days away
    "analysis.interval": (SECOND, DAY),
    "analysis.bake_min": (timedelta(0), 7 * DAY),
    "notify.remind_before": REMIND_BEFORE_BOUNDS,
}


def _bounded(path: str) -> BeforeValidator:
    """The duration at path, refused outside DURATION_BOUNDS[path] with the bound it broke."""
    return within(*DURATION_BOUNDS[path])


def _approver(value: str) -> str:
    """Approvers are compared with signal senders (trimmed, up to 100 characters) and printed in events."""
    if not value.strip():
        raise ValueError("must not be blank")
    bad = next((c for c in value if not (c.isprintable() or c == " ")), None)
    if bad is not None:
        raise ValueError(f"must not contain control characters, found {bad!r}")
    if value != value.strip():
        raise ValueError("must not begin or end with spaces: senders are trimmed, so it would never match")
    return value


def _no_space(value: str) -> str:
    """Environment names become parts of Temporal workflow ids."""
    bad = next((c for c in value if c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"must not contain whitespace or control characters, found {bad!r}")
    return value


Approver = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_approver)]
# What the operator expects a service to serve, blue and green together: what `plan validate` and
# `plan show` check each step's green traffic against analysis.min_requests with.
ExpectedRps = Annotated[Limit, Field(gt=0, le=MAX_EXPECTED_RPS)]


class Exposure(StrEnum):
    EXPOSED = "exposed"
    NON_EXPOSED = "non-exposed"
    DISCOVER = "discover"


class TimeoutAction(StrEnum):
    ROLLBACK = "rollback"
    PAUSE = "pause"


class RetireMode(StrEnum):
    """What rollback does with green's copies."""

    DELETE = "delete"
    SCALE_TO_ZERO = "scale-to-zero"


class Environment(Strict):
    name: Annotated[str, AfterValidator(_no_space)] = Field(
        min_length=1, max_length=253, description="cluster / context name"
    )
    kind: Literal["local", "kubernetes"] = "local"


class Service(Strict):
    name: str = Field(pattern=NAME_PATTERN, max_length=63)
    workload: str = Field(description="kind/name, e.g. deployment/checkout or cronjob/nightly")
    namespace: str = Field(default="default", pattern=NAME_PATTERN, max_length=63)
    exposure: Exposure = Exposure.DISCOVER
    expected_rps: ExpectedRps | None = Field(
        default=None, description="requests/s this service serves; overrides analysis.expected_rps"
    )

    @field_validator("workload")
    @classmethod
    def _workload_kind(cls, value: str) -> str:
        kind, _, name = value.partition("/")
        # A DaemonSet is accepted here and refused in preparation, where the reason can be given.
        if kind not in set(WorkloadKind) or not name:
            raise ValueError(
                "must be 'deployment/NAME', 'statefulset/NAME', 'cronjob/NAME' or 'daemonset/NAME'"
            )
        if len(name) > OBJECT_NAME_LENGTH or not OBJECT_NAME.fullmatch(name):
            raise ValueError(
                f"NAME in '{kind}/NAME' must be a Kubernetes object name (lower-case letters, digits, "
                f"'-' and '.', at most {OBJECT_NAME_LENGTH} characters), got {shown(name)}"
            )
        return value

    @property
    def workload_kind(self) -> WorkloadKind:
        return WorkloadKind(self.workload.partition("/")[0])

    @property
    def workload_name(self) -> str:
        return self.workload.partition("/")[2]


class NonExposedSettings(Strict):
    batch_size: StrictInt = Field(default=2, ge=1)
    parallelism: StrictInt = Field(default=1, ge=1)


class TrafficSettings(Strict):
    steps: list[StrictInt] = Field(default_factory=lambda: list(DEFAULT_STEPS), max_length=MAX_TRAFFIC_STEPS)
    bake: Annotated[Duration, _bounded("traffic.bake")] = timedelta(minutes=30)

    @field_validator("steps")
    @classmethod
    def _steps_increase(cls, steps: list[int]) -> list[int]:
        if not steps:
            raise ValueError("needs at least one step")
        for weight in steps:
            if not 0 < weight <= 100:
                raise ValueError(f"weight {shown(weight)} is outside 1..100")
        if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
            raise ValueError(f"weights must strictly increase, got {steps}")
        if steps[-1] != 100:
            raise ValueError(f"last step must be 100, got {steps[-1]}")
        return steps


class ParallelOperation(Strict):
    duration: Annotated[Duration, _bounded("parallel_operation.duration")] = timedelta(hours=1)
    health_check_interval: Annotated[Duration, _bounded("parallel_operation.health_check_interval")] = (
        timedelta(minutes=10)
    )


class InconclusiveAction(StrEnum):
    """What a step does when its bake ends without enough green traffic to decide."""

    PAUSE = "pause"
    ROLLBACK = "rollback"
    EXTEND = "extend"  # bake once more, then pause


class AnalysisLimits(Strict):
    max_error_rate: Limit = Field(default=0.01, ge=0, le=1)
    max_p99_latency_ms: Limit = Field(default=500, gt=0)
    max_error_rate_increase: Limit = Field(default=0.005, ge=0, le=1)
    max_latency_ratio: Limit = Field(default=1.5, ge=1)
    interval: Annotated[Duration, _bounded("analysis.interval")] = Field(
        default=timedelta(minutes=1), description="how often the bakes and the monitoring window look"
    )
    # Bounded so every step's share stays a usable number and the null's share of errors below 1.
    alpha: Limit = Field(
        default=0.01, ge=1e-9, lt=0.5, description="false-abort budget of the whole migration"
    )
    tolerance: Limit = Field(
        default=1.0, ge=1, le=100, description="green may have this many times blue's error rate"
    )
    min_requests: StrictInt = Field(default=1000, ge=1, description="green requests a step needs to pass")
    min_latency_samples: StrictInt = Field(default=100, ge=1)
    latency_windows: StrictInt = Field(
        default=3, ge=1, le=100, description="bad p99 windows in a row that fail"
    )
    bake_min: Annotated[Duration, _bounded("analysis.bake_min")] | None = Field(
        default=None, description="a step with enough evidence may end after this instead of the whole bake"
    )
    on_inconclusive: InconclusiveAction = InconclusiveAction.PAUSE
    expected_rps: ExpectedRps | None = Field(
        default=None,
        description="requests/s each exposed service serves, blue and green together (checks only)",
    )

    def step_alphas(self, weights: list[int]) -> list[decision.StepAlpha]:
        """The share of alpha each analysed step starts its tests with: the traffic steps, then the
        monitoring window (no comparison where green serves 100%)."""
        return decision.spread_alpha(self.alpha, _compared(weights))

    def decision_limits(self) -> decision.Limits:
        """What cutover.analysis.decision judges a look by."""
        return decision.Limits(
            tolerance=self.tolerance,
            max_error_rate=self.max_error_rate,
            min_requests=self.min_requests,
            max_p99_latency_ms=self.max_p99_latency_ms,
            alpha=self.alpha,
            max_latency_ratio=self.max_latency_ratio,
            latency_windows=self.latency_windows,
            min_latency_samples=self.min_latency_samples,
        )


def _compared(weights: list[int]) -> list[bool]:
    """Per analysed step (the traffic steps, then the monitoring window): is there blue to compare?"""
    return [weight < 100 for weight in weights] + [False]


class GatePolicy(Strict):
    """Who may open one gate, and how many distinct people must."""

    approvers: list[Approver] = Field(
        min_length=1, max_length=MAX_APPROVERS, description="people, or @GROUP for a group of gates.groups"
    )
    min_approvals: StrictInt = Field(default=1, ge=1, le=MAX_APPROVERS, description="distinct people")


GROUP_MARK = "@"


class Gates(Strict):
    require: list[str] = Field(default_factory=lambda: ["uat", "full-cutover"], max_length=MAX_GATES)
    approvers: list[Approver] = Field(default_factory=list, max_length=MAX_APPROVERS)
    timeout: Annotated[Duration, _bounded("gates.timeout")] = timedelta(hours=24)
    on_timeout: TimeoutAction = TimeoutAction.PAUSE
    groups: dict[str, list[Approver]] = Field(
        default_factory=dict, max_length=MAX_APPROVERS, description="named groups of people, as @NAME"
    )
    policies: dict[str, GatePolicy] = Field(
        default_factory=dict, max_length=MAX_GATES, description="a gate's own approvers and quorum"
    )
    forbid_self_approval: StrictBool = Field(
        default=False, description="who started the migration (`cutover start --as`) may not approve it"
    )
    verify: Literal["name", "signature"] = Field(
        default="name",
        description="signature: a decision counts only signed (`cutover approve --sign-with`) by a key the "
        "worker's allowed_signers lists for its sender; name: the sender's name, marked unverified",
    )

    def approvers_of(self, gate: str) -> list[str]:
        """The people who may decide the gate: its policy's (groups expanded), else `approvers`."""
        policy = self.policies.get(gate)
        if policy is None:
            return list(self.approvers)
        people: list[str] = []
        for entry in policy.approvers:
            named = self.groups.get(entry[1:], []) if entry.startswith(GROUP_MARK) else [entry]
            people += [person for person in named if person not in people]
        return people

    def quorum_of(self, gate: str) -> int:
        """Distinct approvals the gate needs."""
        policy = self.policies.get(gate)
        return policy.min_approvals if policy else 1


class Monitoring(Strict):
    window: Annotated[Duration, _bounded("monitoring.window")] = timedelta(hours=2)
    check_interval: Annotated[Duration, _bounded("monitoring.check_interval")] = Field(
        default=timedelta(minutes=15),
        description="deprecated: read only by migrations started before 0.4; now analysis.interval",
    )
    decommission: StrictBool = Field(
        default=False,
        description="after the window, gate `decommission`: approved, blue's Deployments and "
        "StatefulSets scale to zero (kept, so reversible until deleted); rejected or timed out, blue "
        "stays as hot standby; either way the migration succeeds",
    )


class RolloutSettings(Strict):
    timeout: Annotated[Duration, _bounded("rollout.timeout")] = timedelta(minutes=10)


class CronJobSettings(Strict):
    active_jobs_timeout: Annotated[Duration, _bounded("cronjobs.active_jobs_timeout")] = Field(
        default=timedelta(minutes=30), description="how long blue's running Jobs may take after suspend"
    )
    first_run_timeout: Annotated[Duration, _bounded("cronjobs.first_run_timeout")] = Field(
        default=timedelta(hours=25), description="how long to wait for green's first scheduled run"
    )


class RollbackSettings(Strict):
    green: RetireMode = RetireMode.DELETE


class Plan(Strict):
    """Everything the workflow needs; JSON-serialisable so it can be pasted into the UI.

    Field by field only: parse_plan adds the checks across fields (see plan_problems).
    """

    name: str = Field(pattern=NAME_PATTERN, max_length=63)
    source: Environment
    target: Environment
    services: list[Service] = Field(min_length=1, max_length=MAX_SERVICES)
    non_exposed: NonExposedSettings = Field(default_factory=NonExposedSettings)
    traffic: TrafficSettings = Field(default_factory=TrafficSettings)
    parallel_operation: ParallelOperation = Field(default_factory=ParallelOperation)
    analysis: AnalysisLimits = Field(default_factory=AnalysisLimits)
    gates: Gates = Field(default_factory=Gates)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    rollout: RolloutSettings = Field(default_factory=RolloutSettings)
    cronjobs: CronJobSettings = Field(default_factory=CronJobSettings)
    rollback: RollbackSettings = Field(default_factory=RollbackSettings)
    checks: list[Check] = Field(default_factory=list, max_length=MAX_CHECKS)
    uat: UatSettings = Field(default_factory=UatSettings)
    operators: list[Approver] = Field(
        default_factory=list,
        max_length=MAX_APPROVERS,
        description="who may pause and resume (a stuck undo too); empty: anyone; abort is anyone's",
    )
    notify: Notify = Field(default_factory=Notify, description="which notifications go to which destinations")

    def gate_names(self) -> set[str]:
        return set(self.gate_order())

    def gate_order(self) -> list[str]:
        """Every gate the workflow passes, in the order it reaches them."""
        decommission = [DECOMMISSION_GATE] if self.monitoring.decommission else []
        return ["uat", *(traffic_gate(w) for w in self.partial_steps()), "full-cutover", *decommission]

    def partial_steps(self) -> list[int]:
        """Traffic steps before full cutover; the final 100% belongs to the full-cutover phase."""
        return [w for w in self.traffic.steps if w < 100]

    def may_operate(self, sender: str) -> bool:
        """May sender pause or resume? Anyone when no operators are listed; abort is always anyone's
        (the safe direction)."""
        return not self.operators or sender in self.operators

    def needs_approval(self, gate: str) -> bool:
        """Listed in gates.require; the decommission gate always is: giving blue up is a person's call."""
        return gate in self.gates.require or gate == DECOMMISSION_GATE


def may_be_exposed(service: Service) -> bool:
    """Declared exposed, or left to discovery and not a CronJob (which is never exposed)."""
    if service.exposure == Exposure.DISCOVER:
        return service.workload_kind != WorkloadKind.CRONJOB
    return service.exposure == Exposure.EXPOSED


def traffic_gate(weight: int) -> str:
    return f"traffic-{weight}"


def plan_problems(plan: Plan) -> list[str]:
    """'field.path: problem' lines for what no single field shows: clashes between fields."""
    return [
        *_environment_problems(plan),
        *_service_problems(plan),
        *_gate_problems(plan),
        *_analysis_problems(plan),
        *check_problems(plan.checks, plan.traffic.steps),
        *_uat_problems(plan),
    ]


def _uat_problems(plan: Plan) -> list[str]:
    if plan.uat.route is not None and not plan.needs_approval("uat"):
        return ["uat.route: testers use it while the uat gate is open; add uat to gates.require"]
    return []


def _environment_problems(plan: Plan) -> list[str]:
    if plan.source.name == plan.target.name:
        return [f"target.name: must differ from source.name ({shown(plan.source.name)})"]
    return []


def _analysis_problems(plan: Plan) -> list[str]:
    bake_min, bake = plan.analysis.bake_min, plan.traffic.bake
    if bake_min is not None and bake_min > bake:
        return [
            f"analysis.bake_min: {format_duration(bake_min)} is longer than traffic.bake "
            f"({format_duration(bake)}), so no step could end early"
        ]
    return []


def _service_problems(plan: Plan) -> list[str]:
    """A CronJob exposed, or a name or a workload planned twice (two migrations of one object)."""
    problems = []
    by_name: dict[str, int] = {}
    by_workload: dict[tuple[str, str], int] = {}
    for index, service in enumerate(plan.services):
        at = f"services[{index}]"
        if service.workload_kind == WorkloadKind.CRONJOB and service.exposure == Exposure.EXPOSED:
            problems.append(f"{at}.exposure: a CronJob is never exposed; use non-exposed or discover")
        if service.expected_rps is not None and not may_be_exposed(service):
            why = "a CronJob" if service.workload_kind == WorkloadKind.CRONJOB else "declared non-exposed"
            problems.append(f"{at}.expected_rps: {service.name} is {why}: no traffic step analyses it")
        first = by_name.setdefault(service.name, index)
        if first != index:
            problems.append(f"{at}.name: {service.name!r} is already the name of services[{first}]")
        first = by_workload.setdefault((service.namespace, service.workload), index)
        if first != index:
            problems.append(
                f"{at}.workload: {service.workload} in namespace {service.namespace} is already "
                f"planned as services[{first}] ({plan.services[first].name})"
            )
    return problems


def _gate_problems(plan: Plan) -> list[str]:
    known = plan.gate_order()
    problems = [
        f"gates.require[{index}]: unknown gate {shown(gate)}; known gates are {known}"
        for index, gate in enumerate(plan.gates.require)
        if gate not in known
    ]
    problems += _repeats("gates.require", plan.gates.require)
    problems += _repeats("gates.approvers", plan.gates.approvers)
    problems += _repeats("operators", plan.operators)
    problems += _policy_problems(plan)
    unapproved = [g for g in plan.gates.require if g in known and not plan.gates.approvers_of(g)]
    if unapproved:
        problems.append("gates.approvers: gates need approval but no approvers are listed")
    elif plan.monitoring.decommission and not plan.gates.approvers_of(DECOMMISSION_GATE):
        problems.append("monitoring.decommission: its gate needs an approver, but gates.approvers is empty")
    return problems


def _policy_problems(plan: Plan) -> list[str]:
    gates, problems = plan.gates, []
    for name, members in gates.groups.items():
        problems += _repeats(f"gates.groups.{name}", members)
    for gate, policy in gates.policies.items():
        at = f"gates.policies.{gate}"
        if not plan.needs_approval(gate):
            problems.append(f"{at}: gate {shown(gate)} needs no approval (it is not in gates.require)")
            continue
        problems += _repeats(f"{at}.approvers", policy.approvers)
        for index, entry in enumerate(policy.approvers):
            if entry.startswith(GROUP_MARK) and entry[1:] not in gates.groups:
                problems.append(f"{at}.approvers[{index}]: no group {shown(entry[1:])} in gates.groups")
        may = len(gates.approvers_of(gate))
        if policy.min_approvals > may:
            problems.append(
                f"{at}.min_approvals: {policy.min_approvals} distinct approvals, but only {may} "
                "people may approve it"
            )
    return problems


def _repeats(path: str, values: list[str]) -> list[str]:
    first: dict[str, int] = {}
    return [
        f"{path}[{index}]: {shown(value)} is already listed as {path}[{first[value]}]"
        for index, value in enumerate(values)
        if first.setdefault(value, index) != index
    ]


class PlanError(Exception):
    """A plan that cannot be used; `problems` lists every 'field.path: problem' line."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")


def _location(loc: tuple[int | str, ...]) -> str:
    """services[0].name; a key no plan has (a typo, or hostile) quoted, so the line stays one line."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            out += f"[{shown(part)}]"
        else:
            out += f".{part}" if out else part
    return out or "plan"


def validation_problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "string_pattern_mismatch":
            message = pattern_words(str((item.get("ctx") or {}).get("pattern", "")))
        problems.append(f"{_location(item['loc'])}: {message}")
    return problems


def _shape_problems(data: object) -> list[str]:
    """The top level is a mapping and the whole fits a Temporal payload comfortably."""
    if not isinstance(data, dict):
        return [f"plan: expected a mapping at the top level, got {_json_kind(data)}"]
    encoder = json.JSONEncoder(separators=(",", ":"), default=str)
    size = 0
    try:
        for chunk in encoder.iterencode(data):  # stops at the limit, however large or shared data is
            size += len(chunk)
            if size > MAX_PLAN_BYTES:
                return [f"plan: larger than {MAX_PLAN_BYTES // 1024} KiB as JSON, the most a plan may be"]
    except RecursionError:
        return ["plan: nested too deeply"]
    except (TypeError, ValueError) as error:
        return [f"plan: not JSON data ({shown(str(error))})"]
    return []


def _json_kind(data: object) -> str:
    kinds = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    return kinds.get(type(data), "a list" if isinstance(data, list) else type(data).__name__)


def parse_plan(data: object, source: str = "plan") -> Plan:
    """The one door for a plan from a file, the CLI or the UI: a Plan, or PlanError and nothing else."""
    problems = _shape_problems(data)
    if problems:
        raise PlanError(source, problems)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        raise PlanError(source, validation_problems(error)) from None
    problems = plan_problems(plan)
    if problems:
        raise PlanError(source, problems)
    return plan


def load_plan(path: str | Path) -> Plan:
    """Read a YAML or JSON plan file; every problem becomes one PlanError line."""
    try:
        data = read_plan_file(Path(path), MAX_PLAN_BYTES)
    except PlanFileError as error:
        raise PlanError(str(path), [str(error)]) from None
    return parse_plan(data, str(path))
