"""A CronJob's schedule never skips a run: the worker dies inside the hand-over's gap (suspended in
blue, not yet resumed in green), two scheduled times pass, and green runs each of them once."""

import signal
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from cutover.demo.seed import BLUE, GREEN, seed
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import wait_for, write_plan
from tests.workflows.support import assert_cron_never_in_two_envs

CRON = "billing/cronjob/nightly-invoices"
GAP_MINUTES = 2


def test_times_missed_in_the_gap_run_once_in_green(processes: Processes, tmp_path: Path) -> None:
    local = seed(processes.data_dir / "local-env.json", {"jobs_running": "nightly-invoices"})
    local.update(lambda s: s["clusters"][BLUE][CRON].update(schedule="* * * * *"))
    local.advance_clock(60)  # blue runs the schedule before the migration
    first = processes.start_worker()
    assert (
        processes.cutover("start", str(write_plan(tmp_path, gates={"require": []})), "--id", "gap").returncode
        == 0
    )

    # Blue's Jobs keep running, so the hand-over waits inside its gap: enabled nowhere.
    wait_for(processes, "gap", lambda _: local.cron_enabled_in("billing", "nightly-invoices") == [])
    first.send_signal(signal.SIGKILL)
    first.wait()
    local.advance_clock(GAP_MINUTES * 60)  # scheduled times that fall while no worker runs
    local.update(lambda s: s["failures"].pop("jobs_running"))  # blue's Jobs finish
    processes.start_worker()
    wait_for(processes, "gap", lambda _: local.cron_enabled_in("billing", "nightly-invoices") == [GREEN])
    local.advance_clock(60)  # green runs the schedule itself
    final = wait_for(processes, "gap", lambda s: s.phase.value == "done")

    assert final.outcome.value == "succeeded", final.outcome_reason
    runs = [run for run in local.scheduled_runs() if run["cron"] == CRON]
    times = Counter(datetime.fromisoformat(run["scheduled"]) for run in runs)
    assert set(times.values()) == {1}, f"a scheduled time ran twice: {times}"
    first_time, last_time = min(times), max(times)
    every = [
        first_time + timedelta(minutes=m)
        for m in range(int((last_time - first_time).total_seconds()) // 60 + 1)
    ]
    assert sorted(times) == every, "a scheduled time was skipped"
    by = [(run["env"], run["by"]) for run in sorted(runs, key=lambda r: r["scheduled"])]
    assert by == [(BLUE, "schedule")] + [(GREEN, "hand-over")] * GAP_MINUTES + [(GREEN, "schedule")], by
    migrated = next(
        e.message for e in final.timeline if e.kind == "migrated" and "nightly-invoices" in e.message
    )
    assert f"ran {GAP_MINUTES} missed run(s): nightly-invoices-" in migrated, migrated
    assert_cron_never_in_two_envs(local.read())
