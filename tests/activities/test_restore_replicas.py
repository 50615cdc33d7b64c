"""restore_replicas: how a revert after decommission brings blue back before any traffic goes to it."""

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from cutover.activities.migration_activities import MigrationActivities, Scaling
from cutover.demo.seed import BLUE, seed
from cutover.models import ServiceRef, WorkloadKind
from cutover.platform.local import LocalEnvironment, State
from cutover.platform.local_reports import LocalReportStore

RECORDED = {"checkout": 3, "catalog": 2}


def activities(local: LocalEnvironment, tmp_path: Path) -> MigrationActivities:
    return MigrationActivities(local, local, local, tmp_path, LocalReportStore(tmp_path))


def blue_refs() -> list[ServiceRef]:
    return [
        ServiceRef(
            env=BLUE, service=name, namespace="shop", kind=WorkloadKind.DEPLOYMENT, name=name, replicas=n
        )
        for name, n in RECORDED.items()
    ]


def scaled_to_zero(tmp_path: Path) -> LocalEnvironment:
    local = seed(tmp_path / "local-env.json")
    for ref in blue_refs():
        local.remove_copy(BLUE, ref.namespace, ref.kind, ref.name, scale_to_zero=True)
    return local


def blue_replicas(state: State) -> dict[str, int]:
    return {name: state["clusters"][BLUE][f"shop/deployment/{name}"]["replicas"] for name in RECORDED}


async def test_each_workload_is_back_at_its_recorded_replicas(tmp_path: Path) -> None:
    local = scaled_to_zero(tmp_path)
    assert blue_replicas(local.read()) == {"checkout": 0, "catalog": 0}
    scaling = Scaling(refs=blue_refs(), timeout=timedelta(seconds=5))
    await ActivityEnvironment().run(activities(local, tmp_path).restore_replicas, scaling)
    assert blue_replicas(local.read()) == RECORDED


async def test_a_workload_that_never_becomes_available_fails_for_good_naming_it(tmp_path: Path) -> None:
    """The undo then waits for a human (resume): traffic must not go back to a blue that cannot serve."""
    local = scaled_to_zero(tmp_path)
    local.update(lambda state: state["clusters"][BLUE]["shop/deployment/catalog"].update(ready=False))
    scaling = Scaling(refs=blue_refs(), timeout=timedelta(milliseconds=100))
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(activities(local, tmp_path).restore_replicas, scaling)
    assert failed.value.non_retryable and failed.value.type == "NotAvailable"
    assert failed.value.message.startswith(f"catalog not available in {BLUE} within ")
    assert blue_replicas(local.read()) == RECORDED
