"""Long waits hold no thread: more waits than the platform has threads all run at once and finish.

Each wait's copy becomes available only once every wait has looked at least once, so the test
passes only if all of them are in flight together. Waits that held a thread each (sync activities
on a bounded pool, as before) could not all be in flight: the first ones would give up at their
timeout (False) before the last ones started.
"""

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.activities.running import PLATFORM_THREADS
from cutover.demo.seed import seed
from cutover.models import RolloutWait, ServiceRef, WorkloadKind
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_reports import LocalReportStore

WAITS = PLATFORM_THREADS + 4


class AvailableOnceAllLooked(LocalEnvironment):
    """Every copy becomes available once WAITS different ones have been looked at."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.looked: set[str] = set()

    def available(self, env: str, namespace: str, kind: str, name: str) -> bool:
        self.looked.add(name)
        return len(self.looked) >= WAITS


def wait_for(name: str) -> RolloutWait:
    ref = ServiceRef(
        env="eks-fargate", service=name, namespace="shop", kind=WorkloadKind.DEPLOYMENT, name=name
    )
    return RolloutWait(ref=ref, timeout=timedelta(seconds=60))


async def test_more_waits_than_threads_all_finish(tmp_path: Path) -> None:
    seed(tmp_path / "local-env.json")
    cluster = AvailableOnceAllLooked(tmp_path / "local-env.json")
    activities = MigrationActivities(
        cluster, cluster, cluster, tmp_path / "reports", LocalReportStore(tmp_path / "reports")
    )
    names = [f"copy-{i}" for i in range(WAITS)]
    results = await asyncio.gather(
        *(ActivityEnvironment().run(activities.await_rollout, wait_for(name)) for name in names)
    )
    assert results == [True] * WAITS
    assert cluster.looked == set(names)
