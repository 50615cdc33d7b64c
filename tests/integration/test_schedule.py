"""`cutover schedule create|list|delete` against the dev server: Temporal starts the migration itself."""

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from temporalio.client import Schedule, ScheduleActionStartWorkflow, ScheduleSpec

from cutover.demo.seed import seed
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import one_error_line, wait_for, write_plan

STARTED = re.compile(r"started (\S+) at ")


def listing(processes: Processes) -> str:
    result = processes.cutover("schedule", "list")
    assert result.returncode == 0, result.stderr
    return result.stdout


def entry(processes: Processes, schedule_id: str) -> str:
    """The lines `schedule list` prints for one schedule ('' when it is not listed)."""
    blocks = re.split(r"\n(?=\S)", listing(processes))
    return next((b for b in blocks if b.startswith(f"{schedule_id}  ")), "")


def create_window(processes: Processes, plan: Path, schedule_id: str) -> datetime:
    """Schedule the plan a few seconds ahead, however slow this machine is.

    The CLI refuses a window in the past, and Temporal never starts a window that passed before the
    schedule existed: while either happens (the command took longer than the lead), try again with
    twice the lead.
    """
    lead = timedelta(seconds=4)
    for _ in range(8):
        at = (datetime.now(UTC) + lead).replace(microsecond=0)
        created = processes.cutover(
            "schedule", "create", str(plan), "--at", at.isoformat(), "--id", schedule_id
        )
        if created.returncode == 0 and f"next start: {at:%Y-%m-%d %H:%M:%S} UTC" in created.stdout:
            return at
        assert created.returncode == 0 or "is in the past" in created.stderr, created.stderr
        if created.returncode == 0:
            assert processes.cutover("schedule", "delete", schedule_id).returncode == 0
        lead *= 2
    raise AssertionError("could not schedule a window ahead of the clock")


def test_a_window_starts_the_migration_once(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    plan = write_plan(tmp_path, gates={"require": []})
    at = create_window(processes, plan, "win-1")

    deadline = time.monotonic() + 600
    while not STARTED.search(shown := entry(processes, "win-1")):
        assert time.monotonic() < deadline, shown
        time.sleep(0.5)
    workflow_id = STARTED.search(shown)[1]  # type: ignore[index]
    assert workflow_id.startswith("win-1-")
    assert "plan shop-to-fargate" in shown and "next:  none" in shown
    assert f"when:  once at {at:%Y-%m-%d %H:%M:%S} UTC" in shown
    status = wait_for(processes, workflow_id, lambda s: s.outcome.value == "succeeded")
    assert status.plan_name == "shop-to-fargate"

    deleted = processes.cutover("schedule", "delete", "win-1")
    assert deleted.returncode == 0, deleted.stderr
    assert entry(processes, "win-1") == ""
    assert processes.cutover("status", workflow_id).returncode == 0, "the started migration stays"


def test_repeating_windows_in_a_time_zone(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    plan = write_plan(tmp_path)
    args = ("schedule", "create", str(plan), "--cron", "30 2 * * 6", "--timezone", "Europe/Berlin")
    created = processes.cutover(*args, "--id", "weekly", "--note", "batch 1 of 4")
    assert created.returncode == 0, created.stderr
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime.now(berlin)
    days = (5 - now.weekday()) % 7
    window = (now + timedelta(days=days)).replace(hour=2, minute=30, second=0, microsecond=0)
    if window <= now:
        window += timedelta(days=7)
    shown = entry(processes, "weekly")
    assert f"next:  {window.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" in shown
    assert "when:  cron '30 2 * * 6' (Europe/Berlin) — batch 1 of 4" in shown

    again = processes.cutover(*args, "--id", "weekly")
    assert again.returncode == 2
    assert one_error_line(again) == "error: schedule 'weekly' already exists; delete it first"
    assert processes.cutover("schedule", "delete", "weekly").returncode == 0


def test_bad_input_creates_nothing(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    plan = str(write_plan(tmp_path))
    cases = {
        ("--cron", "61 * * * *"): "--at/--cron/--timezone: Invalid schedule spec: Minute is not in range",
        ("--cron", "0 2 * * *", "--timezone", "Mars/Base"): "--timezone: unknown time zone 'Mars/Base'",
        ("--at", "2020-01-01T02:00:00Z"): "--at: '2020-01-01T02:00:00Z' is in the past",
        ("--at", "2030-01-01T02:00:00"): "--at: '2030-01-01T02:00:00' has no UTC offset",
        ("--at", "2030-01-01T02:00:00Z", "--cron", "0 2 * * *"): "--at/--cron: give either --at",
        ("--cron", "0 2 * * *", "--catchup", "5s"): "--catchup: must be at least 10s",
    }
    for options, message in cases.items():
        result = processes.cutover("schedule", "create", plan, *options, "--id", "bad")
        assert result.returncode == 2, (options, result.stderr)
        assert one_error_line(result).startswith(f"error: {message}"), (options, result.stderr)
    unknown = write_plan(
        tmp_path, services=[{"name": "payments", "workload": "deployment/payments", "namespace": "shop"}]
    )
    result = processes.cutover("schedule", "create", str(unknown), "--cron", "0 2 * * *", "--id", "bad")
    assert result.returncode == 2 and "unknown service 'payments'" in one_error_line(result)
    assert entry(processes, "bad") == ""


def test_delete_refuses_unknown_and_foreign_schedules(processes: Processes) -> None:
    async def foreign_schedule(create: bool) -> str:
        client = await connect(TemporalSettings(address=processes.server.address))
        if create:
            action = ScheduleActionStartWorkflow("BillingWorkflow", id="billing", task_queue="billing")
            spec = ScheduleSpec(cron_expressions=["0 1 * * *"])
            await client.create_schedule("billing-nightly", Schedule(action=action, spec=spec))
        return (await client.get_schedule_handle("billing-nightly").describe()).id

    asyncio.run(foreign_schedule(create=True))
    foreign = processes.cutover("schedule", "delete", "billing-nightly")
    assert foreign.returncode == 2
    assert "does not start cutover migrations; left as it is" in one_error_line(foreign)
    assert asyncio.run(foreign_schedule(create=False)) == "billing-nightly"
    assert "billing-nightly" not in listing(processes), "only migrations are listed"
    missing = processes.cutover("schedule", "delete", "no-such-schedule")
    assert missing.returncode == 2
    assert one_error_line(missing) == "error: schedule 'no-such-schedule' not found"
