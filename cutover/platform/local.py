"""The embedded local environment: two simulated clusters, a router and synthetic metrics.

State lives in one JSON file, written atomically under a lock, so it survives a worker
restart and several worker processes can share it. Nothing here pretends to be production.
"""

import fcntl
import json
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cutover.models import CronHandover, ServiceRef, WeightChange, Workload

State = dict[str, Any]

BASE_ERROR_RATE = 0.002
BASE_P99_MS = 120.0
FAILING_ERROR_RATE = 0.08


def _key(namespace: str, kind: str, name: str) -> str:
    return f"{namespace}/{kind}/{name}"


def empty_state(blue: str, green: str) -> State:
    return {
        "label": "LOCAL SIMULATION - not a real cluster",
        "blue": blue,
        "clusters": {blue: {}, green: {}},
        "routes": {},
        "failures": {},
        "cron_history": [],
        "cron_runs": [],
        "operations": [],
    }


class LocalEnvironment:
    """Implements Cluster, TrafficRouter and MetricsSource over one state file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

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
        if not self.path.exists():
            raise FileNotFoundError(f"local environment state {self.path} does not exist")
        state: State = json.loads(self.path.read_text())
        return state

    def write(self, state: State) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
        os.replace(tmp, self.path)

    def update(self, change: Callable[[State], Any]) -> Any:
        with self.locked():
            state = self.read()
            result = change(state)
            self.write(state)
            return result

    def create(self, state: State) -> None:
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
        if item is None:
            return None
        return Workload(
            service=name,
            namespace=namespace,
            kind=kind,
            name=name,
            exposed=item.get("exposed", False),
            replicas=item.get("replicas", 1),
            image=item.get("image", ""),
        )

    def apply_copy(self, ref: ServiceRef) -> None:
        def change(state: State) -> None:
            cluster = self._cluster(state, ref.env)
            key = _key(ref.namespace, ref.kind, ref.name)
            existing = cluster.get(key, {})
            cluster[key] = {
                **existing,
                "replicas": ref.replicas,
                "image": ref.image,
                "exposed": existing.get("exposed", False),
                "ready": True,
            }
            if ref.kind == "cronjob":
                cluster[key].setdefault("suspended", True)
            state["operations"].append({"op": "apply", "env": ref.env, "workload": key})
            record_cron_snapshot(state)

        self.update(change)

    def remove_copy(self, env: str, namespace: str, kind: str, name: str) -> None:
        def change(state: State) -> None:
            key = _key(namespace, kind, name)
            if self._cluster(state, env).pop(key, None) is not None:
                state["operations"].append({"op": "remove", "env": env, "workload": key})
            record_cron_snapshot(state)

        self.update(change)

    def healthy(self, env: str, namespace: str, kind: str, name: str) -> bool:
        item = self._cluster(self.read(), env).get(_key(namespace, kind, name))
        return bool(item and item.get("ready") and (kind == "cronjob" or item["replicas"] > 0))

    def hand_over_cron(self, handover: CronHandover) -> None:
        def change(state: State) -> None:
            key = _key(handover.namespace, "cronjob", handover.name)
            target = self._cluster(state, handover.enable_in).get(key)
            if target is None:
                raise KeyError(f"cronjob {key} does not exist in {handover.enable_in}")
            target["suspended"] = False
            source = self._cluster(state, handover.disable_in).get(key)
            if source is not None:
                source["suspended"] = True
            record_cron_snapshot(state)

        self.update(change)

    def cron_enabled_in(self, namespace: str, name: str) -> list[str]:
        return _enabled_in(self.read(), _key(namespace, "cronjob", name))

    def run_cron(self, env: str, namespace: str, name: str, key: str) -> bool:
        def change(state: State) -> bool:
            for run in state["cron_runs"]:
                if run["key"] == key:
                    return bool(run["ok"])
            cron = _key(namespace, "cronjob", name)
            if env not in _enabled_in(state, cron):
                raise RuntimeError(f"cronjob {cron} is not enabled in {env}")
            ok = state["failures"].get("failing_cron") != name
            state["cron_runs"].append({"key": key, "env": env, "cron": cron, "ok": ok})
            return ok

        return bool(self.update(change))

    # --- TrafficRouter -------------------------------------------------------------------
    def set_green_percent(self, change: WeightChange) -> None:
        def apply(state: State) -> None:
            if state["failures"].get("router_down"):
                raise ConnectionError("local router is down (failure injection)")
            state["routes"][f"{change.namespace}/{change.service}"] = change.green_percent
            state["operations"].append(
                {"op": "route", "service": change.service, "green": change.green_percent}
            )

        self.update(apply)

    def green_percent(self, namespace: str, service: str) -> int:
        return int(self.read()["routes"].get(f"{namespace}/{service}", 0))

    # --- MetricsSource -------------------------------------------------------------------
    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        state = self.read()
        jitter = (zlib.crc32(f"{env}/{namespace}/{service}".encode()) % 100) / 1000
        error_rate = BASE_ERROR_RATE * (1 + jitter)
        p99 = BASE_P99_MS * (1 + jitter)
        failing_from = state["failures"].get("green_error_from_weight")
        green = state["routes"].get(f"{namespace}/{service}", 0)
        if env != state.get("blue") and failing_from is not None and green >= failing_from:
            error_rate = FAILING_ERROR_RATE
        return error_rate, p99


def _enabled_in(state: State, key: str) -> list[str]:
    return sorted(
        env
        for env, cluster in state["clusters"].items()
        if key in cluster and not cluster[key].get("suspended", False)
    )


def record_cron_snapshot(state: State) -> None:
    """Append where each CronJob is enabled, so tests can prove 'exactly one' at every moment."""
    crons = {k for c in state["clusters"].values() for k in c if "/cronjob/" in k}
    snapshot = {k: _enabled_in(state, k) for k in sorted(crons)}
    history = state["cron_history"]
    if not history or history[-1] != snapshot:
        history.append(snapshot)
