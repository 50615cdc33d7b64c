"""The three things cutover needs from the world; local and real adapters implement them."""

from typing import Protocol

from cutover.models import CronHandover, ServiceRef, WeightChange, Workload


class Cluster(Protocol):
    """Workloads in named environments (kube contexts, or the local simulation)."""

    def environments(self) -> list[str]: ...

    def find(self, env: str, namespace: str, kind: str, name: str) -> Workload | None: ...

    def apply_copy(self, ref: ServiceRef) -> None:
        """Create or update the workload in ref.env (idempotent)."""

    def remove_copy(self, env: str, namespace: str, kind: str, name: str) -> None:
        """Remove the workload from env; absent is fine (idempotent)."""

    def healthy(self, env: str, namespace: str, kind: str, name: str) -> bool: ...

    def hand_over_cron(self, handover: CronHandover) -> None:
        """Move a CronJob's schedule so it is enabled in exactly one environment."""

    def cron_enabled_in(self, namespace: str, name: str) -> list[str]: ...

    def run_cron(self, env: str, namespace: str, name: str, key: str) -> bool:
        """Run (or await) the schedule's next run in env; the same key never runs twice."""


class TrafficRouter(Protocol):
    def set_green_percent(self, change: WeightChange) -> None: ...

    def green_percent(self, namespace: str, service: str) -> int: ...


class MetricsSource(Protocol):
    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        """Return (error rate 0..1, p99 latency ms) for the service in env."""
