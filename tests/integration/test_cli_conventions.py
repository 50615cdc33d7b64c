"""`cutover list`, --json results and errors, `status --watch --timeout` and `schedule
pause|unpause|trigger`, against the dev server with a real worker."""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cutover.demo.seed import seed
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import one_error_line, wait_for, write_plan


def listed(processes: Processes, *filters: str) -> list[dict[str, Any]]:
    result = processes.cutover("list", *filters, "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def listed_until(
    processes: Processes, filters: tuple[str, ...], seen: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Visibility follows the migration's search attributes a moment later: wait for it, generously."""
    deadline = time.monotonic() + 120
    while not seen(rows := listed(processes, *filters)):
        assert time.monotonic() < deadline, rows
        time.sleep(0.5)
    return rows


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {row["id"] for row in rows}


def test_list_filters_on_phase_and_outcome_and_watch_stops_at_its_timeout(
    processes: Processes, tmp_path: Path
) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    plan = str(write_plan(tmp_path))
    assert processes.cutover("start", plan, "--id", "listed-aborted").returncode == 0
    wait_for(processes, "listed-aborted", lambda s: s.open_gate is not None)
    assert processes.cutover("abort", "listed-aborted", "--as", "alice").returncode == 0
    wait_for(processes, "listed-aborted", lambda s: s.phase.value == "done")
    assert processes.cutover("start", plan, "--id", "listed-running").returncode == 0
    wait_for(processes, "listed-running", lambda s: s.open_gate is not None)

    rolled_back = listed_until(processes, ("--outcome", "rolled-back"), lambda r: "listed-aborted" in ids(r))
    assert "listed-running" not in ids(rolled_back)
    row = next(r for r in rolled_back if r["id"] == "listed-aborted")
    assert row["plan"] == "shop-to-fargate" and row["phase"] == "done" and row["green_percent"] == 0
    assert row["workflow_status"] in ("completed", "failed") and row["run_id"] and row["started"]
    running = listed_until(processes, ("--outcome", "running"), lambda r: "listed-running" in ids(r))
    assert "listed-aborted" not in ids(running)
    assert "listed-aborted" in ids(listed(processes, "--phase", "done"))
    assert "listed-running" not in ids(listed(processes, "--phase", "done"))
    assert ids(listed(processes, "--plan", "no-such-plan")) == set()
    assert len(listed(processes, "--limit", "1")) == 1

    table = processes.cutover("list", "--outcome", "rolled-back")
    assert table.returncode == 0, table.stderr
    header, *lines = table.stdout.splitlines()
    assert header.split() == ["ID", "PLAN", "PHASE", "GREEN", "OUTCOME", "WORKFLOW", "STARTED", "(UTC)"]
    assert any(
        line.split()[:5] == ["listed-aborted", "shop-to-fargate", "done", "0%", "rolled-back"]
        for line in lines
    )

    watched = processes.cutover("status", "listed-running", "--watch", "--interval", "0.3", "--timeout", "3")
    assert watched.returncode == 4, watched.stderr
    assert one_error_line(watched).startswith(
        "error: stopped watching after 3s: migration listed-running has not finished (now: "
    )


def test_json_errors_are_one_object_on_stderr_with_the_exit_code(processes: Processes) -> None:
    missing = processes.cutover("status", "no-such-migration", "--json")
    assert missing.returncode == 2 and missing.stdout == ""
    assert json.loads(missing.stderr) == {"error": "migration 'no-such-migration' not found", "exit_code": 2}
    bad = processes.cutover("list", "--json", "--outcome", "maybe")
    assert bad.returncode == 2 and bad.stdout == ""
    error = json.loads(bad.stderr)
    assert error["field"] == "--outcome" and "'maybe' is not one of 'running'" in error["error"]
    assert json.loads(processes.cutover("schedule", "list", "--json").stdout) == []


def test_schedule_pause_unpause_and_trigger(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    plan = str(write_plan(tmp_path))
    created = processes.cutover("schedule", "create", plan, "--cron", "0 2 * * 6", "--id", "saturdays")
    assert created.returncode == 0, created.stderr

    def shown() -> dict[str, Any]:
        result = processes.cutover("schedule", "list", "--json")
        assert result.returncode == 0, result.stderr
        entries: list[dict[str, Any]] = json.loads(result.stdout)
        return next(e for e in entries if e["id"] == "saturdays")

    assert shown()["paused"] is False and shown()["plan"] == "shop-to-fargate" and shown()["next_start"]
    paused = processes.cutover("schedule", "pause", "saturdays", "--reason", "freeze week")
    assert paused.returncode == 0, paused.stderr
    assert "paused schedule saturdays: freeze week" in paused.stdout
    assert shown()["paused"] is True and shown()["note"] == "freeze week"
    unpaused = processes.cutover("schedule", "unpause", "saturdays", "--reason", "freeze over")
    assert unpaused.returncode == 0, unpaused.stderr
    assert shown()["paused"] is False and shown()["note"] == "freeze over"

    triggered = processes.cutover("schedule", "trigger", "saturdays")
    assert triggered.returncode == 0, triggered.stderr
    deadline = time.monotonic() + 120
    while not (started := shown()["started"]):
        assert time.monotonic() < deadline, "the trigger started nothing"
        time.sleep(0.5)
    workflow_id = started[0]["workflow_id"]
    assert workflow_id.startswith("saturdays-")
    wait_for(processes, workflow_id, lambda s: s.plan_name == "shop-to-fargate")

    for args in (["pause", "--reason", "r"], ["unpause"], ["trigger"]):
        unknown = processes.cutover("schedule", args[0], "no-such-schedule", *args[1:])
        assert unknown.returncode == 2, args
        assert one_error_line(unknown) == "error: schedule 'no-such-schedule' not found"
    assert processes.cutover("schedule", "delete", "saturdays").returncode == 0
