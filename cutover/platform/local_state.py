"""The local environment's state file, format version 1: documented, checked at load, filled in.

A hand-written or edited file is checked as a whole when it is read (by the worker, the CLI or a
rehearsal), so a bad one is one line naming the field (`local-env.json: clusters.eks[shop/deployment/
checkout].replicas: Input should be greater than or equal to 0`), never a KeyError half-way through a
migration or its rollback. The bookkeeping the simulation keeps (operations, cron runs, jobs...) may be
left out: it starts empty. A file without `version` is a version 1 file (the demo's before 0.7).

Items are checked, then kept as written (plain dicts): the simulation reads `"clock" in state` and
`item.get(...)`, so defaults are never written into an item.
"""

import hashlib
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cutover.models import WorkloadKind
from cutover.plan.uat import UatMatch

VERSION: Literal[1] = 1
LABEL = "LOCAL SIMULATION - not a real cluster"
CONFIG_KINDS = ("configmap", "secret")
DIGEST = re.compile(r"^[0-9a-f]{64}$")
KEY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?/[a-z]+/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
PROBLEMS_SHOWN = 3


def digest(value: str) -> str:
    """What the state file holds of a configuration value: its sha256, as the Kubernetes adapter takes it."""
    return hashlib.sha256(value.encode()).hexdigest()


class LocalStateError(ValueError):
    """The state file cannot be used as it is: the message is one line naming the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class WorkloadItem(_Strict):
    """A Deployment, StatefulSet, CronJob or DaemonSet in one simulated cluster."""

    replicas: int = Field(default=1, ge=0)
    image: str = ""
    exposed: bool = Field(default=False, description="reached through a Service/Ingress: takes traffic")
    ready: bool = Field(default=True, description="its pods are available")
    labels: dict[str, str] = Field(default_factory=dict)
    config_refs: list[str] = Field(default_factory=list, description="configmap/NAME or secret/NAME")
    suspended: bool = Field(default=False, description="a CronJob's schedule is off")
    schedule: str | None = Field(default=None, description="a CronJob's cron expression")
    time_zone: str | None = None
    last_schedule: datetime | None = None
    resumed_at: datetime | None = None
    unsupported: str = Field(default="", description="why green cannot run it (refused at preparation)")

    @field_validator("config_refs")
    @classmethod
    def _refs(cls, refs: list[str]) -> list[str]:
        for ref in refs:
            kind, _, name = ref.partition("/")
            if kind not in CONFIG_KINDS or not name:
                raise ValueError(f"{ref[:80]!r} must be configmap/NAME or secret/NAME")
        return refs


class ConfigItem(_Strict):
    """A ConfigMap or Secret: each key's sha256 digest, never a value."""

    data: dict[str, str] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _digests(cls, data: dict[str, str]) -> dict[str, str]:
        for key, value in data.items():
            if not DIGEST.match(value):
                raise ValueError(f"{key}: must be a sha256 hex digest (the state file holds no values)")
        return data


class Failures(_Strict):
    """What the simulation breaks on purpose (tests, the demo, rehearsals)."""

    green_error_from_weight: int | None = Field(default=None, ge=1, le=100)
    failing_cron: str | None = None
    router_down: bool = False
    never_ready: str | None = None
    jobs_running: str | None = None
    run_pending: str | None = None
    failing_job: str | None = None
    job_pending: str | None = None


class LocalState(_Strict):
    """The whole file. `clusters` maps an environment to its objects, each keyed NAMESPACE/KIND/NAME
    (kind: deployment, statefulset, cronjob, daemonset, configmap or secret); `routes` maps
    NAMESPACE/SERVICE to green's percent (absent: 0, all on blue)."""

    version: Literal[1] = VERSION
    label: str = LABEL
    blue: str = Field(description="the source environment: the one whose traffic is blue's")
    clusters: dict[str, dict[str, dict[str, Any]]]
    routes: dict[str, int] = Field(default_factory=dict)
    uat_routes: dict[str, UatMatch] = Field(default_factory=dict)
    failures: Failures = Field(default_factory=Failures)
    clock: datetime | None = Field(default=None, description="a stopped simulated clock")
    clock_offset: float = Field(default=0.0, description="seconds the simulated clock is ahead")
    # Bookkeeping the simulation appends to; a hand-written file leaves them out.
    operations: list[dict[str, Any]] = Field(default_factory=list)
    cron_history: list[dict[str, list[str]]] = Field(default_factory=list)
    cron_enabled: dict[str, list[str]] = Field(default_factory=dict)
    cron_runs: list[dict[str, Any]] = Field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("routes")
    @classmethod
    def _percents(cls, routes: dict[str, int]) -> dict[str, int]:
        for key, percent in routes.items():
            if not 0 <= percent <= 100:
                raise ValueError(f"{key}: green's percent must be 0..100, got {percent}")
        return routes


# Filled in when absent: what the simulation reads with state[...] (the rest it reads with .get).
BOOKKEEPING: dict[str, Any] = {
    "label": LABEL,
    "routes": dict,
    "uat_routes": dict,
    "failures": dict,
    "operations": list,
    "cron_history": list,
    "cron_runs": list,
    "jobs": dict,
}


def empty_state(blue: str, green: str) -> dict[str, Any]:
    """A version 1 state with two empty clusters, traffic all on blue."""
    state: dict[str, Any] = {"version": VERSION, "blue": blue, "clusters": {blue: {}, green: {}}}
    return fill_in(state)


def fill_in(state: dict[str, Any]) -> dict[str, Any]:
    """The bookkeeping a file left out, empty; the version stated."""
    state.setdefault("version", VERSION)
    for field, default in BOOKKEEPING.items():
        if field not in state:
            state[field] = default() if callable(default) else default
    if "cron_enabled" not in state:  # a file from before changes were recorded alone: its last moment
        enabled: dict[str, list[str]] = {}
        for change in state["cron_history"]:
            enabled.update(change)
        state["cron_enabled"] = enabled
    return state


def checked(data: object, source: str | Path) -> dict[str, Any]:
    """The state as read from `source`, checked and filled in; LocalStateError (one line) if unusable."""
    if not isinstance(data, dict):
        raise LocalStateError(f"{source}: expected a JSON object at the top level")
    problems = _problems(data)
    if problems:
        more = f" (and {len(problems) - PROBLEMS_SHOWN} more)" if len(problems) > PROBLEMS_SHOWN else ""
        raise LocalStateError(f"{source}: " + "; ".join(problems[:PROBLEMS_SHOWN]) + more)
    return fill_in(data)


def _problems(data: dict[str, Any]) -> list[str]:
    try:
        state = LocalState.model_validate(data)
    except ValidationError as error:
        return _described(error, "")
    problems = [] if state.blue in state.clusters else [f"blue: {state.blue!r} is not one of clusters"]
    for env, objects in state.clusters.items():
        for key, item in objects.items():
            problems += _item_problems(f"clusters.{_part(env)}[{key}]", key, item)
    return problems


def _item_problems(where: str, key: str, item: dict[str, Any]) -> list[str]:
    if not KEY.match(key):
        return [f"{where}: the key must be NAMESPACE/KIND/NAME"]
    kind = key.split("/")[1]
    model: type[_Strict]
    if kind in CONFIG_KINDS:
        model = ConfigItem
    elif kind in set(WorkloadKind):
        model = WorkloadItem
    else:
        known = ", ".join([*WorkloadKind, *CONFIG_KINDS])
        return [f"{where}: kind {kind!r} is not one of {known}"]
    try:
        model.model_validate(item)
    except ValidationError as error:
        return _described(error, where)
    return []


def _described(error: ValidationError, where: str) -> list[str]:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required"
        location = where + "".join(
            f"[{part}]" if isinstance(part, int) else f".{_part(part)}" for part in item["loc"]
        )
        problems.append(f"{location.lstrip('.') or 'file'}: {message}")
    return problems


def _part(name: str) -> str:
    """A field or key as a location shows it: shortened, control characters out (one line)."""
    text = re.sub(r"[\x00-\x1f\x7f]", "?", str(name))
    return text if len(text) <= 80 else text[:77] + "..."
