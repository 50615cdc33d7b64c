"""What cutover needs from the world; local and real adapters implement it.

Every role but the cluster, the router and the metrics is optional: a worker without a capacity
provisioner assumes green can schedule the workloads, one without a configured report store keeps
journals and reviews in a folder on its disk. Implementations raise cutover.platform.errors' types.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from cutover.analysis.counts import Baseline, LatencyThresholds, Side
from cutover.models import CronSchedule, JournalPage, ServiceRef, WeightChange, Workload
from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.errors import PermanentError, PlatformError, TransientError

# How many failed services a batch's error names before it says how many more failed.
NAMED_FAILURES = 5


@dataclass(frozen=True)
class JobState:
    """One look at a check's Job: whether it has finished, and how."""

    done: bool
    succeeded: bool = False
    message: str = ""  # what the Job's status says: its terminal condition, or what is running
    log_tail: str = ""  # the end of its (newest) pod's log where the cluster offers it, else empty


class Cluster(Protocol):
    """Workloads in named environments (kube contexts, or the local simulation)."""

    def environments(self) -> list[str]: ...

    def find(self, env: str, namespace: str, kind: str, name: str) -> Workload | None:
        """The workload with its recorded state (replicas, image, suspend flag) and whether
        the target can run it (`unsupported` says why not)."""

    def discover(self, env: str, namespace: str, selector: str) -> list[Workload]:
        """Every Deployment, StatefulSet, CronJob and DaemonSet in namespace matching the label selector."""

    def config_problems(
        self, source_env: str, target_env: str, namespace: str, kind: str, name: str
    ) -> list[str]:
        """What the workload references (ConfigMaps, Secrets) that target_env lacks or holds differently.

        Values are compared by hash; a problem names the object and key, never a value."""

    def apply_copy(self, ref: ServiceRef) -> None:
        """Create or update the workload in ref.env (idempotent)."""

    def remove_copy(
        self, env: str, namespace: str, kind: str, name: str, scale_to_zero: bool = False
    ) -> None:
        """Delete the workload from env, or keep it at zero replicas (CronJob: suspended); absent is fine."""

    def set_replicas(self, env: str, namespace: str, kind: str, name: str, replicas: int) -> None:
        """Scale a Deployment or StatefulSet in env to replicas, changing nothing else (as `kubectl
        scale`: whoever manages the rest of the object keeps it); a missing workload is permanent."""

    def available(self, env: str, namespace: str, kind: str, name: str) -> bool:
        """Every wanted replica updated and ready now (a CronJob: it exists). One look: the rollout
        wait polls it with heartbeats, and the health checks during the bakes ask it once."""

    def set_cron_suspended(self, env: str, namespace: str, name: str, suspended: bool) -> None:
        """Set the CronJob's suspend flag in env (idempotent).

        Resuming counts from now: the platform does not run times missed while it was suspended (the
        hand-over runs the ones its gap caused) and records when it resumed; resuming a CronJob that
        is not suspended changes nothing."""

    def cron_schedule(self, env: str, namespace: str, name: str) -> CronSchedule:
        """The CronJob's schedule, time zone, last scheduled run and last resume in env."""

    def start_scheduled_run(self, env: str, namespace: str, name: str, scheduled: datetime) -> bool:
        """Start the run due at `scheduled` now, as a Job from the CronJob (`kubectl create job
        --from=cronjob/...`) named as the controller names that time's Job; False if it exists."""

    def active_cron_jobs(self, env: str, namespace: str, name: str) -> list[str]:
        """Names of the Jobs this CronJob (by uid) started in env that are still running."""

    def cron_enabled_in(self, namespace: str, name: str) -> list[str]: ...

    def first_run_outcome(self, env: str, namespace: str, name: str, key: str) -> bool | None:
        """The outcome of the schedule's first run in env, None while it has not finished.

        One look per call (the activity polls with heartbeats); the same key never runs twice."""

    def start_check_job(
        self,
        env: str,
        namespace: str,
        name: str,
        template: str | None,
        manifest: dict[str, Any] | None,
        labels: dict[str, str],
    ) -> None:
        """Start a check's Job named `name` in env: from a template `cronjob/NAME` (its job template, as
        `kubectl create job --from=cronjob/NAME`) or from a Job manifest (its name, namespace and
        labels forced, the rest kept); `labels` go on the Job.

        Idempotent: a Job of that name that exists already is left as it is, so a retried activity
        never runs a second one. A template the environment lacks is permanent."""

    def check_job_state(self, env: str, namespace: str, name: str) -> JobState:
        """One look at the check's Job (a missing Job is permanent)."""

    def delete_check_job(self, env: str, namespace: str, name: str) -> None:
        """Delete the check's Job and, in the background, its pods; absent is fine."""


class TrafficRouter(Protocol):
    def set_green_percent(self, change: WeightChange) -> None: ...

    def set_green_percents(self, changes: Sequence[WeightChange]) -> None:
        """Set every change (idempotent: absolute weights, one change per service), concurrently within
        the platform's rate limits, so one activity routes many services at once.

        A failure does not stop the others: every change is tried, then the first failure (in the
        changes' order, one of cutover.platform.errors' types) is raised, so a partial failure leaves
        as many services as possible at their wanted weight. Its message says how many services failed
        and names the first few (raise_first_failure)."""

    def green_percent(self, namespace: str, service: str) -> int: ...


def raise_first_failure(changes: Sequence[WeightChange], failures: Mapping[int, Exception]) -> None:
    """What set_green_percents raises once every change was tried; `failures` by index in `changes`.

    A batch of one raises its failure as it is, as set_green_percent would. Otherwise the first
    failure's type and kind carry the names of every service that failed; anything not a PlatformError
    (a dropped connection botocore does not translate) counts as transient, as Temporal would retry it.
    """
    if not failures:
        return
    first = failures[min(failures)]
    if len(changes) == 1:
        raise first
    names = [f"{changes[i].namespace}/{changes[i].service}" for i in sorted(failures)]
    more = len(names) - NAMED_FAILURES
    named = ", ".join(names[:NAMED_FAILURES]) + (f" and {more} more" if more > 0 else "")
    message = f"{len(names)} of {len(changes)} services failed ({named}); the first: {first}"
    kind = first.kind if isinstance(first, PlatformError) else type(first).__name__
    error_type = PermanentError if isinstance(first, PermanentError) else TransientError
    raise error_type(message, kind) from first


@runtime_checkable
class UatRouter(Protocol):
    """Routes testers to green by header or cookie while the weights keep the public where they are;
    a router that cannot (Route 53 splits by DNS weight) does not implement it."""

    def open_uat_route(self, route: UatRoute) -> None:
        """Send the service's requests that carry route.match to green only (idempotent: opening it
        again, or with another match, leaves one route, the latest)."""

    def close_uat_route(self, namespace: str, service: str) -> None:
        """Remove the service's UAT route; absent is fine."""

    def uat_route(self, namespace: str, service: str) -> UatMatch | None:
        """The service's open UAT route as the platform holds it, None if there is none."""


def uat_routing_problem(router: object) -> str | None:
    """Why a plan's `uat.route` cannot be opened on this router, in one line; None if it can."""
    if isinstance(router, UatRouter):
        return None
    return (
        f"uat.route needs a router that matches headers or cookies (ALB, Gateway API HTTPRoute or "
        f"the local environment); the {type(router).__name__} router cannot"
    )


class MetricsSource(Protocol):
    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        """Return (error rate 0..1, p99 latency ms) for the service in env."""

    def counts(
        self,
        env: str,
        namespace: str,
        service: str,
        window: timedelta,
        latency: LatencyThresholds | None = None,
    ) -> Side:
        """Requests and 5xx errors over the last window, and its p99 with the number of samples it
        rests on: a window without traffic is zero requests, never a 0% error rate. With `latency`,
        also the samples slower than each threshold (Side.slow, Side.slow_over_limit), or None
        where the source has no latency counts."""

    def baseline(
        self, env: str, namespace: str, service: str, period: timedelta, periods: int, limit_ms: float
    ) -> Baseline:
        """The last `periods` whole periods of about `period` (the source may round it to its own
        resolution), oldest first, each with its counts; latency samples counted against the
        span's own p99 (Baseline.compare_ms) and limit_ms. Periods without data are zero requests."""


class CapacityProvisioner(Protocol):
    """Makes green able to schedule the migrated namespaces (e.g. an EKS Fargate profile), in two
    steps so the activity can heartbeat while the platform works."""

    @property
    def description(self) -> str:
        """What is provisioned, for messages, e.g. "fargate profile cutover"."""

    @property
    def timeout(self) -> timedelta:
        """How long the platform may take before the capacity counts as failed."""

    def request(self, namespaces: list[str]) -> None:
        """Ask for capacity for namespaces (idempotent); capacity that cannot cover them is permanent."""

    def active_arn(self, namespaces: list[str]) -> str | None:
        """The capacity's address once it is ready, None while the platform is still creating it."""


class ReportStore(Protocol):
    """Each migration's journal pages (what its bounded status drops) and its post-release review,
    kept after the migration and its history are gone, for the rest of the team."""

    def put_page(self, workflow_id: str, page: JournalPage) -> None:
        """Store the page (idempotent: the same seq replaces the same page; activities are retried)."""

    def pages(self, workflow_id: str) -> list[JournalPage]:
        """Every stored page of the migration in seq order; none yet: an empty list."""

    def put_review(self, workflow_id: str, markdown: str) -> str:
        """Store the review (idempotent: same workflow, same place); return where it now is."""

    def review(self, workflow_id: str) -> str | None:
        """The stored review, None if there is none."""


class CheckSecrets(Protocol):
    """What the worker keeps for the plan's checks: a named credential's headers."""

    def headers(self, name: str | None) -> dict[str, str]:
        """The credential's headers (none for None); a name the worker lacks is a PermanentError."""

    def prometheus_endpoint(self) -> tuple[str, dict[str, str]]:
        """The URL and headers PromQL checks query; none configured is a PermanentError."""

    def dsn(self, name: str, side: Literal["blue", "green"]) -> str:
        """The named database's DSN in one environment (a secret: never in a result or a log); a
        database, environment or variable the worker lacks is a PermanentError naming the field."""

    def webhook(self, name: str) -> tuple[str, str, dict[str, str]]:
        """The named webhook's URL, signing secret and headers (secrets: never in a result or a log); a
        webhook or variable the worker lacks is a PermanentError naming the field."""
