"""Activities turn the platform's errors into Temporal's: permanent ones stop, transient ones retry.

And every activity keeps the type name recorded histories use, whatever its method is called.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from cutover.activities.lease_activities import LeaseActivities
from cutover.activities.migration_activities import MigrationActivities
from cutover.activities.stale_leases import StaleLeaseActivities
from cutover.models import CronHandover, CronSchedule, ServiceRef, Workload, WorkloadKind
from cutover.platform.errors import PermanentError, PlatformError, TransientError
from cutover.platform.interfaces import JobState
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_reports import LocalReportStore

REF = ServiceRef(
    service="checkout",
    env="green",
    namespace="shop",
    kind=WorkloadKind.DEPLOYMENT,
    name="checkout",
    replicas=2,
)


class FailingCluster:
    """A Cluster whose every call fails with one platform error, as an adapter's would."""

    def __init__(self, error: PlatformError):
        self.error = error

    def environments(self) -> list[str]:
        raise self.error

    def find(self, env: str, namespace: str, kind: str, name: str) -> Workload | None:
        raise self.error

    def discover(self, env: str, namespace: str, selector: str) -> list[Workload]:
        raise self.error

    def config_problems(
        self, source_env: str, target_env: str, namespace: str, kind: str, name: str
    ) -> list[str]:
        raise self.error

    def apply_copy(self, ref: ServiceRef) -> None:
        raise self.error

    def remove_copy(
        self, env: str, namespace: str, kind: str, name: str, scale_to_zero: bool = False
    ) -> None:
        raise self.error

    def set_replicas(self, env: str, namespace: str, kind: str, name: str, replicas: int) -> None:
        raise self.error

    def available(self, env: str, namespace: str, kind: str, name: str) -> bool:
        raise self.error

    def set_cron_suspended(self, env: str, namespace: str, name: str, suspended: bool) -> None:
        raise self.error

    def active_cron_jobs(self, env: str, namespace: str, name: str) -> list[str]:
        raise self.error

    def cron_enabled_in(self, namespace: str, name: str) -> list[str]:
        raise self.error

    def first_run_outcome(self, env: str, namespace: str, name: str, key: str) -> bool | None:
        raise self.error

    def cron_schedule(self, env: str, namespace: str, name: str) -> CronSchedule:
        raise self.error

    def start_scheduled_run(self, env: str, namespace: str, name: str, scheduled: datetime) -> bool:
        raise self.error

    def start_check_job(
        self,
        env: str,
        namespace: str,
        name: str,
        template: str | None,
        manifest: dict[str, Any] | None,
        labels: dict[str, str],
    ) -> None:
        raise self.error

    def check_job_state(self, env: str, namespace: str, name: str) -> JobState:
        raise self.error

    def delete_check_job(self, env: str, namespace: str, name: str) -> None:
        raise self.error


def failing_activities(error: PlatformError, tmp_path: Path) -> MigrationActivities:
    local = LocalEnvironment(tmp_path / "local-env.json")
    return MigrationActivities(
        FailingCluster(error), local, local, tmp_path / "reports", LocalReportStore(tmp_path / "reports")
    )


async def test_a_permanent_error_fails_the_activity_for_good(tmp_path: Path) -> None:
    error = PermanentError(
        "copy deployment/shop/checkout to green refused: pod uses hostNetwork", "k8s.Unsupported"
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(failing_activities(error, tmp_path).deploy_copy, REF)
    assert caught.value.non_retryable
    assert caught.value.type == "k8s.Unsupported"
    assert caught.value.message == error.message
    assert caught.value.__cause__ is error


async def test_a_transient_error_fails_the_attempt_only(tmp_path: Path) -> None:
    error = TransientError(
        "read deployment/shop/checkout in green failed: 500 InternalError: boom", "k8s.500"
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(failing_activities(error, tmp_path).check_health, REF)
    assert not caught.value.non_retryable
    assert caught.value.type == "k8s.500"
    assert caught.value.message == error.message
    assert caught.value.__cause__ is error


async def test_an_error_without_a_kind_keeps_an_untyped_failure(tmp_path: Path) -> None:
    """Errors that never had a type (e.g. an unconfigured route) still fail without one."""
    error = PermanentError("no ALB route configured for shop/checkout")
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(failing_activities(error, tmp_path).remove_copy, REF)
    assert caught.value.non_retryable and caught.value.type is None


async def test_a_waiting_activity_translates_too(tmp_path: Path) -> None:
    error = TransientError("read cronjob/billing/nightly in blue failed: 503", "k8s.503")
    handover = CronHandover(
        service="nightly",
        namespace="billing",
        name="nightly",
        enable_in="green",
        disable_in="blue",
        active_jobs_timeout=timedelta(minutes=1),
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(failing_activities(error, tmp_path).hand_over_cron, handover)
    assert not caught.value.non_retryable and caught.value.type == "k8s.503"


def test_every_activity_keeps_its_recorded_type_name(tmp_path: Path) -> None:
    local = LocalEnvironment(tmp_path / "local-env.json")
    methods: list[Callable[..., Any]] = [
        *MigrationActivities(local, local, local, tmp_path, LocalReportStore(tmp_path)).all(),
        LeaseActivities.await_leases,
        LeaseActivities.await_released,
        StaleLeaseActivities.reclaim_stale_lease,
    ]
    names = [activity._Definition.must_from_callable(method).name for method in methods]
    assert names == [
        "discover",
        "prepare_target",
        "deploy_copy",
        "remove_copy",
        "check_health",
        "await_rollout",
        "hand_over_cron",
        "await_cron_run",
        "set_green_percent",
        "set_weights",
        "check_health_all",
        "remove_copies",
        "look_at_counts",
        "count_looks",
        "write_report",
        "store_journal",
        "restore_replicas",
        "open_uat_routes",
        "close_uat_routes",
        "await_leases",
        "await_released",
        "reclaim_stale_lease",
    ]
