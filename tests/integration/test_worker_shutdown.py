"""A rolling update: SIGTERM to a worker mid-migration; it exits cleanly and the next worker finishes."""

from collections import Counter
from pathlib import Path

from cutover.demo.seed import seed
from cutover.models import MigrationStatus
from tests.integration.conftest import Processes
from tests.integration.fast_plan import fast_example_plan
from tests.integration.test_cli_errors import wait_for
from tests.temporal.worker_process import WorkerProcess


def test_a_worker_stopped_mid_migration_hands_its_work_on(processes: Processes, tmp_path: Path) -> None:
    local = seed(processes.data_dir / "local-env.json")
    plan = fast_example_plan(tmp_path)

    first = WorkerProcess(processes.env | {"CUTOVER_SHUTDOWN_GRACE": "5"}, tmp_path / "first")
    first.wait_ready()
    assert processes.cutover("start", str(plan), "--id", "mig-rolling").returncode == 0
    wait_for(processes, "mig-rolling", lambda s: s.weights.get("checkout", 0) >= 25)
    first.assert_clean_exit(first.stop())

    processes.start_worker()
    final: MigrationStatus = wait_for(processes, "mig-rolling", lambda s: s.phase.value == "done", limit=240)
    assert final.outcome.value == "succeeded", final.outcome_reason
    state = local.read()
    assert state["routes"] == {"shop/checkout": 100, "shop/catalog": 100}
    runs = Counter(run["cron"] for run in state["cron_runs"])
    assert runs == {"billing/cronjob/nightly-invoices": 1, "billing/cronjob/ledger-export": 1}
