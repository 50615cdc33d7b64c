"""A worker killed with SIGKILL mid-migration; a new one finishes it without repeating what matters."""

import json
import signal
import time
from collections import Counter
from pathlib import Path

from cutover.demo.seed import seed
from cutover.models import MigrationStatus
from tests.integration.conftest import Processes
from tests.integration.fast_plan import fast_example_plan
from tests.integration.test_cli_errors import wait_for
from tests.workflows.support import assert_cron_never_in_two_envs


def test_migration_survives_a_killed_worker(processes: Processes, tmp_path: Path) -> None:
    local = seed(processes.data_dir / "local-env.json")
    plan = fast_example_plan(tmp_path)

    first = processes.start_worker()
    assert processes.cutover("start", str(plan), "--id", "mig-crash").returncode == 0
    wait_for(processes, "mig-crash", lambda s: s.weights.get("checkout", 0) >= 25)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before_restart = local.read()
    time.sleep(2)  # the migration's timers keep running on the server meanwhile
    processes.start_worker()
    final: MigrationStatus = wait_for(processes, "mig-crash", lambda s: s.phase.value == "done", limit=120)

    assert final.outcome.value == "succeeded", final.outcome_reason
    state = local.read()
    assert state["routes"] == {"shop/checkout": 100, "shop/catalog": 100}
    runs = Counter(run["cron"] for run in state["cron_runs"])
    assert runs == {"billing/cronjob/nightly-invoices": 1, "billing/cronjob/ledger-export": 1}
    assert state["cron_runs"] == before_restart["cron_runs"]
    assert_cron_never_in_two_envs(state)
    phases = [e.message for e in final.timeline if e.kind == "phase"]
    assert len(phases) == len(set(phases)), phases
    weights = [e.message for e in final.timeline if e.kind == "weights"]
    assert len(weights) == len(set(weights)), weights

    # Both workers wrote to one log: the restarted one replayed the history without repeating lines.
    lines = [
        json.loads(line)
        for line in (processes.data_dir / "worker.log").read_text().splitlines()
        if line.startswith("{")
    ]
    entered = Counter(line["event"] for line in lines if line.get("kind") == "phase")
    assert entered and set(entered.values()) == {1}, entered
    assert all(line["workflow_id"] == "mig-crash" for line in lines if line.get("kind") == "phase")
