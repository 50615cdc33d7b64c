"""The plan's `checks:`: the practice's own tests of green, each attached to stages of the migration.

A check is named, of one kind (`load`, `http`, `job`, `webhook`, `query`) with that kind's section,
runs at its stages, and says what a failure does (`on_fail`: roll back, pause with the evidence, or
advisory: recorded, never blocking), so a team can promote a check as trust grows. The plan names
what is secret (credentials, webhooks, databases) and the worker's platform config holds it: a URL
with a password, an Authorization header or a DSN in the plan is refused.
"""

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from urllib.parse import parse_qsl, urlsplit

from pydantic import AfterValidator, Field, JsonValue, StrictBool, StrictInt, model_validator

from cutover.durations import Duration
from cutover.plan.fields import NAME_PATTERN, Limit, Strict, within

MAX_CHECKS = 50
MAX_LOAD_RPS = 5_000  # what the worker's generator holds; a heavier load belongs in a `job`
MAX_LOAD_REQUESTS = 10_000_000  # rate x duration of one load
# Blue's p99 is bounded (at 99.5%) from 528 requests on (cutover.checks.load_judgement): fewer, and a
# p99 ratio could not be judged at all.
MIN_RATIO_REQUESTS = 600
MAX_REQUESTS = 50
MAX_BODY = 64 * 1024
SECOND, MINUTE, HOUR = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"}
SECRET_QUERY = re.compile(r"(token|key|secret|passw|pwd|signature|sig|auth)", re.IGNORECASE)
CREDENTIALS_HINT = "name a credential in the worker's platform config (targets.credentials) instead"
# A single read-only statement: it begins as a read does, so the only writes it can hold are a
# data-modifying WITH, SELECT ... INTO and row locks (a function's side effects are stopped by the
# read-only transaction the worker runs it in). Quoted text and comments are not looked at.
READ_START = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
WRITES = re.compile(
    r"\b(insert|update|delete|merge|into)\b|\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b",
    re.IGNORECASE,
)
QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)


class Stage(StrEnum):
    PREPARATION = "preparation"
    NON_EXPOSED = "non-exposed"  # after each batch
    PARALLEL = "parallel"  # each health round side by side
    VALIDATION = "validation"  # before the first traffic step: stress, comparison, end-to-end
    UAT = "uat"  # while the UAT gate is open
    TRAFFIC_STEP = "traffic-step"  # every step, or the weights named
    FINAL = "final"  # before full cutover
    MONITORING = "monitoring"


class OnFail(StrEnum):
    ROLLBACK = "rollback"
    PAUSE = "pause"  # with the evidence, until a human resumes or aborts
    ADVISORY = "advisory"  # recorded and notified, never blocks


CONTINUOUS_STAGES = {Stage.TRAFFIC_STEP, Stage.MONITORING}
CONTINUOUS_KINDS = {"http", "query"}
Side = Literal["blue", "green"]
GREEN: tuple[Side, ...] = ("green",)
BOTH: tuple[Side, ...] = ("blue", "green")


def _plain_url(value: str) -> str:
    """An http(s) URL that carries no secret: no user or password, no token in its query."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, got {value[:60]!r}")
    if parts.username or parts.password:
        raise ValueError(f"must not carry a user or password: {CREDENTIALS_HINT}")
    if any(SECRET_QUERY.search(name) for name, _ in parse_qsl(parts.query)):
        raise ValueError(f"must not carry a secret in its query: {CREDENTIALS_HINT}")
    return value.rstrip("/")


def _no_secret_headers(headers: dict[str, str]) -> dict[str, str]:
    secret = sorted(name for name in headers if name.lower() in SECRET_HEADERS)
    if secret:
        raise ValueError(f"{secret[0]} is a secret: {CREDENTIALS_HINT}")
    return headers


def _read_only_select(statement: str) -> str:
    """One SELECT (or WITH ... SELECT) that writes and locks nothing; the worker also runs it in a
    read-only transaction."""
    body = statement.strip().rstrip(";").strip()
    bare = QUOTED.sub(" ", body)
    if ";" in bare:
        raise ValueError("must be a single statement (no ';' inside)")
    if not READ_START.match(bare):
        raise ValueError("must be a read-only SELECT (or WITH ... SELECT)")
    written = WRITES.search(bare)
    if written:
        raise ValueError(f"must be a read-only SELECT: {written.group(0).upper()} is not allowed")
    return body


PlainUrl = Annotated[str, Field(max_length=2048), AfterValidator(_plain_url)]
Headers = Annotated[dict[str, str], Field(max_length=20), AfterValidator(_no_secret_headers)]
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=63)]


class Targets(Strict):
    """Where each environment answers, and the credential (named, kept by the worker) to send."""

    blue: PlainUrl | None = None
    green: PlainUrl | None = None
    credentials: Name | None = Field(
        default=None, description="a credential in the worker's platform config: headers for every request"
    )

    def url(self, side: Side) -> str | None:
        return self.blue if side == "blue" else self.green


class Request(Strict):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    path: str = Field(default="/", pattern=r"^/", max_length=2048)
    headers: Headers = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=MAX_BODY)


class LoadRequest(Request):
    weight: StrictInt = Field(default=1, ge=1, le=100, description="its share of the requests")


class LoadExpect(Strict):
    """Pass criteria of a load; the ratios compare green with blue under the same load."""

    max_error_rate: Limit = Field(default=0.01, ge=0, le=1)
    max_p50_ms: Limit | None = Field(default=None, gt=0)
    max_p95_ms: Limit | None = Field(default=None, gt=0)
    max_p99_ms: Limit | None = Field(default=None, gt=0)
    max_p99_ratio: Limit | None = Field(default=None, ge=1, description="green's p99 over blue's")
    max_error_rate_increase: Limit | None = Field(default=None, ge=0, le=1)

    def compares(self) -> bool:
        return self.max_p99_ratio is not None or self.max_error_rate_increase is not None


def _sides(sides: list[Side]) -> list[Side]:
    if len(set(sides)) != len(sides):
        raise ValueError("lists an environment twice")
    return sides


Sides = Annotated[list[Side], Field(min_length=1, max_length=2), AfterValidator(_sides)]


class Targeted(Strict):
    targets: Targets
    environments: Sides = Field(default_factory=lambda: list(GREEN))

    @model_validator(mode="after")
    def _target_per_environment(self) -> Self:
        for side in self.environments:
            if self.targets.url(side) is None:
                raise ValueError(f"targets.{side}: needed, since environments lists {side}")
        return self


class LoadSettings(Targeted):
    """An open-model load: a constant arrival rate (after the ramp), latency from the intended send."""

    rate: Limit = Field(gt=0, le=MAX_LOAD_RPS, description="requests per second, per environment")
    duration: Annotated[Duration, within(SECOND, HOUR)]
    ramp: Annotated[Duration, within(timedelta(0), HOUR)] = timedelta(0)
    requests: list[LoadRequest] = Field(default_factory=lambda: [LoadRequest()], min_length=1, max_length=20)
    request_timeout: Annotated[Duration, within(SECOND, 5 * MINUTE)] = 10 * SECOND
    expect: LoadExpect = Field(default_factory=LoadExpect)

    @model_validator(mode="after")
    def _sane(self) -> Self:
        if self.ramp > self.duration:
            raise ValueError("ramp: must not be longer than duration")
        total = self.rate * self.duration.total_seconds()
        if total > MAX_LOAD_REQUESTS:
            raise ValueError(
                f"rate x duration is {total:,.0f} requests; a load may send {MAX_LOAD_REQUESTS:,}: "
                "a lower rate, a shorter duration, or a `job` check with summary: k6 for heavier loads"
            )
        if self.expect.compares() and set(self.environments) != {"blue", "green"}:
            raise ValueError("expect: comparing green with blue needs environments [blue, green]")
        sent = self.rate * (self.duration - self.ramp / 2).total_seconds()
        if self.expect.max_p99_ratio is not None and sent < MIN_RATIO_REQUESTS:
            raise ValueError(
                f"expect.max_p99_ratio: judging a p99 takes at least {MIN_RATIO_REQUESTS} requests per "
                f"environment; this load sends {sent:,.0f} (a higher rate or a longer duration)"
            )
        return self


class Expect(Strict):
    status: list[StrictInt] = Field(default_factory=lambda: [200], min_length=1, max_length=20)
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)
    json_fields: dict[str, JsonValue] = Field(
        default_factory=dict, max_length=20, description="dotted path in the JSON body -> expected value"
    )
    max_ms: Limit | None = Field(default=None, gt=0)


class Probe(Request):
    expect: Expect = Field(default_factory=Expect)


class HttpSettings(Targeted):
    """End-to-end probes: each request's status, headers, JSON fields (and time), per environment."""

    requests: list[Probe] = Field(min_length=1, max_length=MAX_REQUESTS)
    retries: StrictInt = Field(default=2, ge=0, le=10)
    retry_interval: Annotated[Duration, within(SECOND, 10 * MINUTE)] = 5 * SECOND


class JobSettings(Strict):
    """A Kubernetes Job in one environment: passes when it succeeds; deleted afterwards."""

    environment: Side = "green"
    namespace: Name
    template: str | None = Field(
        default=None,
        pattern=r"^cronjob/[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="cronjob/NAME to run once",
    )
    manifest: dict[str, Any] | None = Field(default=None, description="a batch/v1 Job")
    summary: Literal["k6"] | None = Field(
        default=None, description="k6: a load test whose JSON summary ends the log, judged by expect"
    )
    expect: LoadExpect | None = Field(default=None, description="with summary: k6, its pass criteria")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.template is None) == (self.manifest is None):
            raise ValueError("give exactly one of template (cronjob/NAME) or manifest (a Job)")
        if self.manifest is not None and self.manifest.get("kind") != "Job":
            raise ValueError("manifest: must be a Job (kind: Job)")
        if self.expect is not None and self.summary is None:
            raise ValueError("expect: judges a load's summary; add summary: k6")
        if self.expect is not None and self.expect.compares():
            raise ValueError(
                "expect: comparing green with blue needs both under load at once: a `load` check does that"
            )
        return self


class WebhookSettings(Strict):
    """POST the migration's context to a webhook the worker's platform config names (with its
    signing secret); pass on 2xx, or on the verdict of its callback."""

    endpoint: Name
    wait_for_callback: StrictBool = False


class PrometheusQuery(Strict):
    expr: str = Field(
        min_length=1, max_length=4000, description="holds when every sample it returns is non-zero"
    )


class SqlQuery(Strict):
    database: Name = Field(description="connections per environment in the worker's platform config")
    statement: Annotated[str, Field(min_length=1, max_length=8000), AfterValidator(_read_only_select)]
    compare: Literal["equal", "within", "at-most"] = "equal"
    tolerance: Limit = Field(default=0, ge=0, description="within: the relative difference allowed")
    at_most: Limit | None = Field(default=None, description="at-most: the one value's upper bound (e.g. lag)")
    environments: Sides = Field(default_factory=lambda: list(BOTH))

    @model_validator(mode="after")
    def _comparison(self) -> Self:
        if self.compare == "at-most" and self.at_most is None:
            raise ValueError("at_most: needed with compare: at-most")
        if self.compare != "at-most" and set(self.environments) != {"blue", "green"}:
            raise ValueError(f"environments: compare: {self.compare} compares blue with green")
        return self


class QuerySettings(Strict):
    prometheus: PrometheusQuery | None = None
    sql: SqlQuery | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.prometheus is None) == (self.sql is None):
            raise ValueError("give exactly one of prometheus or sql")
        return self


Kind = Literal["load", "http", "job", "webhook", "query"]
KINDS: tuple[Kind, ...] = ("load", "http", "job", "webhook", "query")


class Check(Strict):
    name: Name
    kind: Kind
    stages: list[Stage] = Field(min_length=1, max_length=len(Stage))
    weights: list[StrictInt] | None = Field(default=None, description="traffic-step: only at these weights")
    continuous: StrictBool = Field(default=False, description="at every analysis look of its stages")
    on_fail: OnFail = OnFail.ROLLBACK
    timeout: Annotated[Duration, within(SECOND, 24 * HOUR)] = 15 * MINUTE
    load: LoadSettings | None = None
    http: HttpSettings | None = None
    job: JobSettings | None = None
    webhook: WebhookSettings | None = None
    query: QuerySettings | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        given = [kind for kind in KINDS if getattr(self, kind) is not None]
        if given != [self.kind]:
            others = [kind for kind in given if kind != self.kind]
            raise ValueError(
                f"{others[0]}: this check is kind {self.kind}, give only its {self.kind} section"
                if others
                else f"{self.kind}: needed for a check of kind {self.kind}"
            )
        if len(set(self.stages)) != len(self.stages):
            raise ValueError("stages: lists a stage twice")
        if self.weights is not None and Stage.TRAFFIC_STEP not in self.stages:
            raise ValueError("weights: only with the traffic-step stage")
        if self.continuous and not (CONTINUOUS_STAGES & set(self.stages)):
            raise ValueError(
                "continuous: only at the traffic-step or monitoring stage (it runs at each look)"
            )
        if self.continuous and self.kind not in CONTINUOUS_KINDS:
            raise ValueError(f"continuous: only http and query checks run at each look, not {self.kind}")
        return self

    def runs_at(self, stage: Stage, weight: int | None = None) -> bool:
        if stage not in self.stages:
            return False
        return stage != Stage.TRAFFIC_STEP or self.weights is None or weight in self.weights


def check_problems(checks: list[Check], steps: list[int]) -> list[str]:
    """Clashes between checks, and with the traffic steps."""
    problems = []
    first: dict[str, int] = {}
    for index, check in enumerate(checks):
        at = f"checks[{index}]"
        if first.setdefault(check.name, index) != index:
            problems.append(f"{at}.name: {check.name!r} is already the name of checks[{first[check.name]}]")
        for weight in check.weights or []:
            if weight not in steps:
                problems.append(f"{at}.weights: {weight} is not one of traffic.steps {steps}")
    return problems
