"""The migration plan: what the operator writes, what the workflow takes as input."""

import json
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cutover.durations import Duration

DEFAULT_STEPS = [2, 25, 75, 100]
NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Environment(Strict):
    name: str = Field(min_length=1, description="cluster / context name")
    kind: Literal["local", "kubernetes"] = "local"


class Service(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    workload: str = Field(description="kind/name, e.g. deployment/checkout or cronjob/nightly")
    namespace: str = Field(default="default", pattern=NAME_PATTERN)
    exposure: Exposure = Exposure.DISCOVER

    @field_validator("workload")
    @classmethod
    def _workload_kind(cls, value: str) -> str:
        kind, _, name = value.partition("/")
        # A DaemonSet is accepted here and refused in preparation, where the reason can be given.
        if kind not in ("deployment", "cronjob", "statefulset", "daemonset") or not name:
            raise ValueError(
                "must be 'deployment/NAME', 'statefulset/NAME', 'cronjob/NAME' or 'daemonset/NAME'"
            )
        return value

    @property
    def workload_kind(self) -> str:
        return self.workload.split("/", 1)[0]


class NonExposedSettings(Strict):
    batch_size: int = Field(default=2, ge=1)
    parallelism: int = Field(default=1, ge=1)


class TrafficSettings(Strict):
    steps: list[int] = Field(default_factory=lambda: list(DEFAULT_STEPS))
    bake: Duration = timedelta(minutes=30)

    @field_validator("steps")
    @classmethod
    def _steps_increase(cls, steps: list[int]) -> list[int]:
        if not steps:
            raise ValueError("needs at least one step")
        for weight in steps:
            if not 0 < weight <= 100:
                raise ValueError(f"weight {weight} is outside 1..100")
        if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
            raise ValueError(f"weights must strictly increase, got {steps}")
        if steps[-1] != 100:
            raise ValueError(f"last step must be 100, got {steps[-1]}")
        return steps


def _positive(value: timedelta, field: str) -> None:
    if value <= timedelta(0):
        raise ValueError(f"{field} must be positive")


class ParallelOperation(Strict):
    duration: Duration = timedelta(hours=1)
    health_check_interval: Duration = timedelta(minutes=10)

    @model_validator(mode="after")
    def _interval_positive(self) -> "ParallelOperation":
        _positive(self.health_check_interval, "health_check_interval")
        return self


class AnalysisLimits(Strict):
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_p99_latency_ms: float = Field(default=500, gt=0)
    max_error_rate_increase: float = Field(default=0.005, ge=0, le=1)
    max_latency_ratio: float = Field(default=1.5, ge=1)


class Gates(Strict):
    require: list[str] = Field(default_factory=lambda: ["uat", "full-cutover"])
    approvers: list[str] = Field(default_factory=list)
    timeout: Duration = timedelta(hours=24)
    on_timeout: TimeoutAction = TimeoutAction.PAUSE


class Monitoring(Strict):
    window: Duration = timedelta(hours=2)
    check_interval: Duration = timedelta(minutes=15)


class RolloutSettings(Strict):
    timeout: Duration = timedelta(minutes=10)

    @model_validator(mode="after")
    def _timeout_positive(self) -> "RolloutSettings":
        _positive(self.timeout, "timeout")
        return self


class CronJobSettings(Strict):
    active_jobs_timeout: Duration = Field(
        default=timedelta(minutes=30), description="how long blue's running Jobs may take after suspend"
    )
    first_run_timeout: Duration = Field(
        default=timedelta(hours=25), description="how long to wait for green's first scheduled run"
    )

    @model_validator(mode="after")
    def _timeouts_positive(self) -> "CronJobSettings":
        _positive(self.active_jobs_timeout, "active_jobs_timeout")
        _positive(self.first_run_timeout, "first_run_timeout")
        return self


class RollbackSettings(Strict):
    green: RetireMode = RetireMode.DELETE


class Plan(Strict):
    """Everything the workflow needs; JSON-serialisable so it can be pasted into the UI."""

    name: str = Field(pattern=NAME_PATTERN)
    source: Environment
    target: Environment
    services: list[Service] = Field(min_length=1)
    non_exposed: NonExposedSettings = Field(default_factory=NonExposedSettings)
    traffic: TrafficSettings = Field(default_factory=TrafficSettings)
    parallel_operation: ParallelOperation = Field(default_factory=ParallelOperation)
    analysis: AnalysisLimits = Field(default_factory=AnalysisLimits)
    gates: Gates = Field(default_factory=Gates)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    rollout: RolloutSettings = Field(default_factory=RolloutSettings)
    cronjobs: CronJobSettings = Field(default_factory=CronJobSettings)
    rollback: RollbackSettings = Field(default_factory=RollbackSettings)

    @model_validator(mode="after")
    def _cross_checks(self) -> "Plan":
        if self.source.name == self.target.name:
            raise ValueError("target.name must differ from source.name")
        names = [s.name for s in self.services]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"services: duplicate names {dupes}")
        known = self.gate_names()
        unknown = [g for g in self.gates.require if g not in known]
        if unknown:
            raise ValueError(f"gates.require: unknown gate(s) {unknown}; known gates are {sorted(known)}")
        if self.gates.require and not self.gates.approvers:
            raise ValueError("gates.approvers: gates need approval but no approvers are listed")
        return self

    def gate_names(self) -> set[str]:
        return set(self.gate_order())

    def gate_order(self) -> list[str]:
        """Every gate the workflow passes, in the order it reaches them."""
        return ["uat", *(traffic_gate(w) for w in self.partial_steps()), "full-cutover"]

    def partial_steps(self) -> list[int]:
        """Traffic steps before full cutover; the final 100% belongs to the full-cutover phase."""
        return [w for w in self.traffic.steps if w < 100]

    def needs_approval(self, gate: str) -> bool:
        return gate in self.gates.require


def traffic_gate(weight: int) -> str:
    return f"traffic-{weight}"


class PlanError(Exception):
    """A plan that cannot be used; `problems` lists every 'field.path: problem' line."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "plan"


def validation_problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{_location(item['loc'])}: {message}")
    return problems


def parse_plan(data: object, source: str = "plan") -> Plan:
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        raise PlanError(source, validation_problems(error)) from None


def load_plan(path: str | Path) -> Plan:
    """Read a YAML or JSON plan file; every problem becomes one PlanError line."""
    file = Path(path)
    if not file.is_file():
        raise PlanError(str(path), ["file not found"])
    text = file.read_text()
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        kind = file.suffix.lstrip(".") or "yaml"
        raise PlanError(str(path), [f"malformed {kind}: {first}"]) from None
    if not isinstance(data, dict):
        raise PlanError(str(path), ["plan: expected a mapping at the top level"])
    return parse_plan(data, str(path))
