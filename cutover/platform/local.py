"""The embedded local environment: two simulated clusters, a router and synthetic metrics.

State lives in one JSON file, written atomically under a lock, so it survives a worker
restart and several worker processes can share it. Nothing here pretends to be production.
Failure injection (``failures``): green_error_from_weight, failing_cron, router_down,
never_ready (a workload name whose green copy never becomes available), jobs_running (a
CronJob name whose Jobs in blue never finish), run_pending (a CronJob name whose first green
run never finishes), failing_job and job_pending (a check's Job fails, or never finishes: a name
the Job carries, its own, its template's CronJob's, its manifest's or a label's value).
Check Jobs live under `jobs` and run the moment they start.
CronJobs with a `schedule` run it (cutover.platform.local_schedules).
UAT routes (a header or cookie match per service) live under `uat_routes`; router_down fails them too.
The file's format is cutover.platform.local_state's: checked whenever another hand or process wrote it.
"""

import fcntl
import json
import math
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Any

from cutover.analysis.counts import Baseline, LatencyThresholds, Side
from cutover.models import CronSchedule, ServiceRef, WeightChange, Workload, WorkloadKind
from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform import local_schedules
from cutover.platform.errors import PermanentError
from cutover.platform.interfaces import JobState
from cutover.platform.local_state import LocalStateError, checked
from cutover.platform.local_state import empty_state as empty_state  # where tests and the demo find it

State = dict[str, Any]

BASE_ERROR_RATE = 0.002
BASE_P99_MS = 120.0
FAILING_ERROR_RATE = 0.08
LOCAL_REQUESTS_PER_SECOND = 100  # each service's simulated traffic, blue and green together
LATENCY_SIGMA = 0.5  # the simulated latency is lognormal: its spread on the log scale
P99_Z = NormalDist().inv_cdf(0.99)  # the standard normal's 99th percentile


def _key(namespace: str, kind: str, name: str) -> str:
    return f"{namespace}/{kind}/{name}"


FileVersion = tuple[int, int, int]


class InvalidLocalState(PermanentError):
    """The state file is not a usable local environment: a person must mend it, retrying cannot."""

    def __init__(self, message: str):
        super().__init__(message, "local.InvalidState")


def _version(stat: os.stat_result) -> FileVersion:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class LocalEnvironment:
    """Implements Cluster, TrafficRouter, UatRouter and MetricsSource over one state file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._parsed: tuple[FileVersion, State] | None = None
        self._trusted: FileVersion | None = None  # the file as this object last wrote or checked it

    # --- storage -------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access to the state file across threads and processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def read(self) -> State:
        """The state; checked (cutover.platform.local_state) unless it is what this object wrote or
        checked last, so a bad file is one clear error, and a large one is not checked at every read."""
        try:
            with open(self.path, "rb") as file:
                version = _version(os.fstat(file.fileno()))
                text = file.read()
        except FileNotFoundError:
            raise FileNotFoundError(f"local environment state {self.path} does not exist") from None
        try:
            state: State = json.loads(text)
        except ValueError as error:
            raise InvalidLocalState(f"{self.path}: not JSON ({error})") from None
        if version != self._trusted:
            try:
                state = checked(state, self.path)
            except LocalStateError as error:
                raise InvalidLocalState(str(error)) from None
            self._trusted = version
        return state

    def _peek(self) -> State:
        """The state for reading only (never to change): parsed once per version of the file, so the
        analysis's many reads of a large environment cost a stat each, not a parse."""
        version = _version(self.path.stat())
        if self._parsed is None or self._parsed[0] != version:
            self._parsed = (version, self.read())
        return self._parsed[1]

    def write(self, state: State) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as file:
            file.write(json.dumps(state, sort_keys=True))  # compact: C-encoded, many times faster
            written = _version(os.fstat(file.fileno()))
        os.replace(tmp, self.path)
        self._trusted = written

    def update(self, change: Callable[[State], Any]) -> Any:
        with self.locked():
            state = self.read()
            local_schedules.run_due(state)
            result = change(state)
            self.write(state)
            return result

    def _now_state(self) -> State:
        """The state once the scheduled times that have come ran (a write, unlike read())."""
        state: State = self.update(lambda state: state)
        return state

    def create(self, state: State) -> None:
        """Write a new state, checked first: a bad one is refused before anything reads it."""
        try:
            state = checked(state, self.path)
        except LocalStateError as error:
            raise InvalidLocalState(str(error)) from None
        with self.locked():
            self.write(state)

    # --- Cluster -------------------------------------------------------------------------
    def environments(self) -> list[str]:
        return sorted(self.read()["clusters"])

    def _cluster(self, state: State, env: str) -> dict[str, Any]:
        if env not in state["clusters"]:
            raise KeyError(f"environment {env!r} is not in the local state {self.path}")
        cluster: dict[str, Any] = state["clusters"][env]
        return cluster

    def find(self, env: str, namespace: str, kind: str, name: str) -> Workload | None:
        item = self._cluster(self.read(), env).get(_key(namespace, kind, name))
        return None if item is None else _workload(namespace, kind, name, item)

    def discover(self, env: str, namespace: str, selector: str) -> list[Workload]:
        wanted = dict(term.split("=", 1) for term in selector.split(",") if term)
        found = []
        for key, item in sorted(self._cluster(self.read(), env).items()):
            item_namespace, kind, name = key.split("/", 2)
            labels = item.get("labels", {})
            if (
                item_namespace == namespace
                and kind in set(WorkloadKind)
                and all(labels.get(k) == v for k, v in wanted.items())
            ):
                found.append(_workload(namespace, kind, name, item))
        return found

    def config_problems(
        self, source_env: str, target_env: str, namespace: str, kind: str, name: str
    ) -> list[str]:
        """Compare the (hashed) data of every config object the workload names in both environments."""
        state = self.read()
        source, target = self._cluster(state, source_env), self._cluster(state, target_env)
        item = source.get(_key(namespace, kind, name)) or {}
        problems = []
        for ref in item.get("config_refs", []):
            key = f"{namespace}/{ref}"
            if key not in source:
                problems.append(f"{ref} is referenced but missing in {source_env}")
            elif key not in target:
                problems.append(f"{ref} is missing in {target_env}")
            else:
                problems += _data_differences(ref, source[key]["data"], target[key]["data"], target_env)
        return problems

    def apply_copy(self, ref: ServiceRef) -> None:
        def change(state: State) -> None:
            source = self._cluster(state, state["blue"]).get(_key(ref.namespace, ref.kind, ref.name), {})
            cluster = self._cluster(state, ref.env)
            key = _key(ref.namespace, ref.kind, ref.name)
            existing = cluster.get(key, {})
            cluster[key] = {
                **existing,
                "replicas": ref.replicas,
                "image": ref.image,
                "exposed": existing.get("exposed", False),
                "labels": source.get("labels", {}),
                "config_refs": source.get("config_refs", []),
                "ready": state["failures"].get("never_ready") != ref.name,
            }
            if ref.kind == WorkloadKind.CRONJOB:
                cluster[key].setdefault("suspended", True)
                for field in ("schedule", "time_zone"):
                    if field in source:
                        cluster[key][field] = source[field]
            state["operations"].append({"op": "apply", "env": ref.env, "workload": key})
            record_cron_snapshot(state)

        self.update(change)

    def remove_copy(
        self, env: str, namespace: str, kind: str, name: str, scale_to_zero: bool = False
    ) -> None:
        def change(state: State) -> None:
            key = _key(namespace, kind, name)
            cluster = self._cluster(state, env)
            if key in cluster and scale_to_zero:
                cluster[key].update({"suspended": True} if kind == WorkloadKind.CRONJOB else {"replicas": 0})
                state["operations"].append({"op": "scale-to-zero", "env": env, "workload": key})
            elif key in cluster:
                del cluster[key]
                state["operations"].append({"op": "remove", "env": env, "workload": key})
            record_cron_snapshot(state)

        self.update(change)

    def set_replicas(self, env: str, namespace: str, kind: str, name: str, replicas: int) -> None:
        def change(state: State) -> None:
            key = _key(namespace, kind, name)
            item = self._cluster(state, env).get(key)
            if item is None:
                raise KeyError(f"{key} does not exist in {env}")
            item["replicas"] = replicas
            state["operations"].append({"op": "scale", "env": env, "workload": key, "replicas": replicas})

        self.update(change)

    def available(self, env: str, namespace: str, kind: str, name: str) -> bool:
        item = self._cluster(self._peek(), env).get(_key(namespace, kind, name))
        return bool(item and item.get("ready") and (kind == WorkloadKind.CRONJOB or item["replicas"] > 0))

    def set_cron_suspended(self, env: str, namespace: str, name: str, suspended: bool) -> None:
        def change(state: State) -> None:
            key = _key(namespace, WorkloadKind.CRONJOB, name)
            cron = self._cluster(state, env).get(key)
            if cron is None:
                raise KeyError(f"cronjob {key} does not exist in {env}")
            if cron.get("suspended") and not suspended:
                local_schedules.resumed(state, cron)
            cron["suspended"] = suspended
            record_cron_snapshot(state)

        self.update(change)

    def active_cron_jobs(self, env: str, namespace: str, name: str) -> list[str]:
        """Simulated runs finish the moment they start, unless a failure keeps blue's running."""
        state = self.read()
        stuck = state["failures"].get("jobs_running") == name and env == state["blue"]
        return [f"{name}-still-running"] if stuck else []

    def cron_enabled_in(self, namespace: str, name: str) -> list[str]:
        return _enabled_in(self.read(), _key(namespace, WorkloadKind.CRONJOB, name))

    def cron_schedule(self, env: str, namespace: str, name: str) -> CronSchedule:
        key = _key(namespace, WorkloadKind.CRONJOB, name)
        cron = self._cluster(self._now_state(), env).get(key)
        if cron is None:
            raise KeyError(f"cronjob {key} does not exist in {env}")
        return CronSchedule(
            schedule=cron.get("schedule", ""),
            time_zone=cron.get("time_zone"),
            last_scheduled=cron.get("last_schedule"),
            resumed_at=cron.get("resumed_at"),
        )

    def start_scheduled_run(self, env: str, namespace: str, name: str, scheduled: datetime) -> bool:
        key = _key(namespace, WorkloadKind.CRONJOB, name)

        def change(state: State) -> bool:
            if key not in self._cluster(state, env):
                raise KeyError(f"cronjob {key} does not exist in {env}")
            return local_schedules.start(state, env, key, scheduled, by="hand-over")

        started: bool = self.update(change)
        return started

    def freeze_clock(self, at: datetime) -> None:
        """Stop the simulated clock at `at`: scheduled times then come only with advance_clock."""
        self.update(lambda state: local_schedules.freeze(state, at))

    def advance_clock(self, seconds: float) -> None:
        """Move the simulated clock forward (tests and benches: make a scheduled time come now)."""
        self.update(lambda state: local_schedules.advance(state, seconds))

    def scheduled_runs(self) -> list[dict[str, Any]]:
        """Every run of a scheduled time so far (due ones are run first), oldest first."""
        return [run for run in self._now_state()["cron_runs"] if "scheduled" in run]

    def first_run_outcome(self, env: str, namespace: str, name: str, key: str) -> bool | None:
        def change(state: State) -> bool | None:
            if state["failures"].get("run_pending") == name:
                return None
            cron = _key(namespace, WorkloadKind.CRONJOB, name)
            for run in state["cron_runs"]:
                if run["key"] == key or (run["env"] == env and run["cron"] == cron and "scheduled" in run):
                    return bool(run["ok"])
            if env not in _enabled_in(state, cron):
                raise RuntimeError(f"cronjob {cron} is not enabled in {env}")
            ok = bool(state["failures"].get("failing_cron") != name)
            state["cron_runs"].append({"key": key, "env": env, "cron": cron, "ok": ok})
            return ok

        outcome: bool | None = self.update(change)
        return outcome

    def start_check_job(
        self,
        env: str,
        namespace: str,
        name: str,
        template: str | None,
        manifest: dict[str, Any] | None,
        labels: dict[str, str],
    ) -> None:
        """A Job that exists already is left as it is; a new one finishes at once: succeeded, or as
        failures says (failing_job, job_pending)."""
        key = f"{env}/{namespace}/{name}"

        def change(state: State) -> None:
            cluster = self._cluster(state, env)
            jobs = state.setdefault("jobs", {})
            if key in jobs:
                return
            if template is not None:
                source = template.removeprefix("cronjob/")
                if _key(namespace, WorkloadKind.CRONJOB, source) not in cluster:
                    raise KeyError(
                        f"cronjob {namespace}/{source} (the template of job {key}) is not in {env}"
                    )
            else:
                source = str(((manifest or {}).get("metadata") or {}).get("name") or name)
            carried = {name, source, *labels.values()}
            failures = state["failures"]
            status = (
                "running"
                if failures.get("job_pending") in carried
                else "failed"
                if failures.get("failing_job") in carried
                else "succeeded"
            )
            jobs[key] = {"source": template or "manifest", "labels": labels, "status": status}
            state["operations"].append({"op": "start-job", "env": env, "job": f"{namespace}/{name}"})

        self.update(change)

    def check_job_state(self, env: str, namespace: str, name: str) -> JobState:
        job = self._peek().get("jobs", {}).get(f"{env}/{namespace}/{name}")
        if job is None:
            raise KeyError(f"job {namespace}/{name} does not exist in {env}")
        status = job["status"]
        if status == "running":
            return JobState(done=False, message="1 active, 0 succeeded, 0 failed")
        exit_code = 0 if status == "succeeded" else 1
        ran = f"{name}: ran {job['source']} in {env}/{namespace} (local simulation)"
        log = f"{ran}\n{name}: exit code {exit_code}\n"
        if status == "succeeded":
            return JobState(done=True, succeeded=True, message="Complete", log_tail=log)
        message = "Failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
        return JobState(done=True, succeeded=False, message=message, log_tail=log)

    def delete_check_job(self, env: str, namespace: str, name: str) -> None:
        key = f"{env}/{namespace}/{name}"

        def change(state: State) -> None:
            if state.setdefault("jobs", {}).pop(key, None) is not None:
                state["operations"].append({"op": "delete-job", "env": env, "job": f"{namespace}/{name}"})

        self.update(change)

    def check_jobs(self) -> dict[str, dict[str, Any]]:
        """The check Jobs there are, by env/namespace/name (tests: what runs, what was deleted)."""
        jobs: dict[str, dict[str, Any]] = self.read().get("jobs", {})
        return jobs

    # --- TrafficRouter -------------------------------------------------------------------
    def set_green_percent(self, change: WeightChange) -> None:
        self.set_green_percents([change])

    def set_green_percents(self, changes: Sequence[WeightChange]) -> None:
        """Every change in one update (one write of the state file): all of them, or with the router
        down none."""

        def apply(state: State) -> None:
            if state["failures"].get("router_down"):
                raise ConnectionError("local router is down (failure injection)")
            for change in changes:
                state["routes"][f"{change.namespace}/{change.service}"] = change.green_percent
                state["operations"].append(
                    {"op": "route", "service": change.service, "green": change.green_percent}
                )

        self.update(apply)

    def green_percent(self, namespace: str, service: str) -> int:
        return int(self._peek()["routes"].get(f"{namespace}/{service}", 0))

    # --- UatRouter -----------------------------------------------------------------------
    def open_uat_route(self, route: UatRoute) -> None:
        """Record the match under uat_routes (one per service: opening again replaces it); the
        simulated traffic is the public's, so the weights and counts do not change."""

        def change(state: State) -> None:
            if state["failures"].get("router_down"):
                raise ConnectionError("local router is down (failure injection)")
            match = route.match.model_dump(exclude_none=True)
            routes = state.setdefault("uat_routes", {})
            if routes.get(route.key) != match:
                routes[route.key] = match
                state["operations"].append({"op": "uat-open", "service": route.service, **match})

        self.update(change)

    def close_uat_route(self, namespace: str, service: str) -> None:
        def change(state: State) -> None:
            if state["failures"].get("router_down"):
                raise ConnectionError("local router is down (failure injection)")
            if state.setdefault("uat_routes", {}).pop(f"{namespace}/{service}", None) is not None:
                state["operations"].append({"op": "uat-close", "service": service})

        self.update(change)

    def uat_route(self, namespace: str, service: str) -> UatMatch | None:
        found = self._peek().get("uat_routes", {}).get(f"{namespace}/{service}")
        return None if found is None else UatMatch.model_validate(found)

    # --- MetricsSource -------------------------------------------------------------------
    def counts(
        self,
        env: str,
        namespace: str,
        service: str,
        window: timedelta,
        latency: LatencyThresholds | None = None,
    ) -> Side:
        """LOCAL_REQUESTS_PER_SECOND split by the route's weight, errors at the synthetic rate, slow
        samples the lognormal latency's expected share over each threshold."""
        state = self._peek()
        green_share = state["routes"].get(f"{namespace}/{service}", 0) / 100
        share = 1 - green_share if env == state.get("blue") else green_share
        requests = round(LOCAL_REQUESTS_PER_SECOND * window.total_seconds() * share)
        error_rate, p99 = self.sample(env, namespace, service)

        def slower_than(threshold_ms: float | None) -> int | None:
            return None if threshold_ms is None else round(requests * slower_share(p99, threshold_ms))

        return Side(
            requests=requests,
            errors=round(requests * error_rate),
            p99_ms=p99 if requests else None,
            latency_samples=requests,
            slow=None if latency is None else slower_than(latency.compare_ms),
            slow_over_limit=None if latency is None else slower_than(latency.limit_ms),
        )

    def baseline(
        self, env: str, namespace: str, service: str, period: timedelta, periods: int, limit_ms: float
    ) -> Baseline:
        """`periods` equal periods of env's traffic at the route's current weight, counted against
        env's synthetic p99: the simulation has no history, and no noise."""
        p99 = self.sample(env, namespace, service)[1]
        side = self.counts(env, namespace, service, period, LatencyThresholds(p99, limit_ms))
        return Baseline((side,) * periods, period.total_seconds(), p99)

    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        state = self._peek()
        return synthetic_sample(
            env,
            namespace,
            service,
            green_percent=state["routes"].get(f"{namespace}/{service}", 0),
            is_blue=env == state.get("blue"),
            green_error_from_weight=state["failures"].get("green_error_from_weight"),
        )


@dataclass(frozen=True)
class ErrorModel:
    """Synthetic error rates: one base rate for blue and green alike (a healthy green must not
    differ from blue, or enough traffic would show it), and green's once the injected failure starts."""

    base_rate: float
    failing_rate: float


# The local environment's counts are deterministic and small: a failure must stand out at once.
LOCAL_ERRORS = ErrorModel(base_rate=BASE_ERROR_RATE, failing_rate=FAILING_ERROR_RATE)


def synthetic_sample(
    env: str,
    namespace: str,
    service: str,
    green_percent: int,
    is_blue: bool,
    green_error_from_weight: int | None,
    errors: ErrorModel = LOCAL_ERRORS,
) -> tuple[float, float]:
    """(error rate, p99 ms): the base rate, or green's failing rate from the injected weight on.

    The p99 varies by service (up to 10%, within every latency limit), never by environment (`env`
    changes nothing): a healthy green counted against blue's p99 must not look slower.
    """
    jitter = (zlib.crc32(f"{namespace}/{service}".encode()) % 100) / 1000
    failing = not is_blue and green_error_from_weight is not None and green_percent >= green_error_from_weight
    return (errors.failing_rate if failing else errors.base_rate), BASE_P99_MS * (1 + jitter)


def slower_share(p99_ms: float, threshold_ms: float) -> float:
    """P(latency > threshold) for the simulation's latency: lognormal, LATENCY_SIGMA on the log
    scale, whose 99th percentile is p99_ms."""
    if threshold_ms <= 0:
        return 1.0
    z = math.log(threshold_ms / p99_ms) / LATENCY_SIGMA + P99_Z
    return 0.5 * math.erfc(z / math.sqrt(2))


def _workload(namespace: str, kind: str, name: str, item: dict[str, Any]) -> Workload:
    return Workload(
        service=name,
        namespace=namespace,
        kind=WorkloadKind(kind),
        name=name,
        exposed=item.get("exposed", False),
        replicas=item.get("replicas", 1),
        image=item.get("image", ""),
        suspended=item.get("suspended", False),
        unsupported="Fargate runs no DaemonSets"
        if kind == WorkloadKind.DAEMONSET
        else item.get("unsupported", ""),
    )


def _data_differences(ref: str, source: dict[str, str], target: dict[str, str], target_env: str) -> list[str]:
    """Key-level differences; the local state holds only sha256 digests of values, never values."""
    problems = [f"{ref} key {k} is missing in {target_env}" for k in sorted(source.keys() - target.keys())]
    problems += [f"{ref} key {k} exists only in {target_env}" for k in sorted(target.keys() - source.keys())]
    problems += [
        f"{ref} key {k} differs in {target_env}"
        for k in sorted(source.keys() & target.keys())
        if source[k] != target[k]
    ]
    return problems


def _enabled_in(state: State, key: str) -> list[str]:
    return sorted(
        env
        for env, cluster in state["clusters"].items()
        if key in cluster and not cluster[key].get("suspended", False)
    )


def record_cron_snapshot(state: State) -> None:
    """Record where each CronJob is enabled whenever that changes, so tests can prove 'exactly one'
    at every moment. An entry lists only the CronJobs that changed (the first lists them all): a
    thousand CronJobs' full snapshots at every hand-over would make the file grow quadratically."""
    crons = {k for c in state["clusters"].values() for k in c if "/cronjob/" in k}
    now = {k: _enabled_in(state, k) for k in sorted(crons)}
    changed = {k: envs for k, envs in now.items() if state["cron_enabled"].get(k) != envs}
    if changed:
        state["cron_history"].append(changed)
        state["cron_enabled"] = now


def cron_snapshots(state: State) -> list[dict[str, list[str]]]:
    """Every recorded moment in full: where each CronJob was enabled."""
    snapshots: list[dict[str, list[str]]] = []
    for change in state["cron_history"]:
        snapshots.append({**(snapshots[-1] if snapshots else {}), **change})
    return snapshots
