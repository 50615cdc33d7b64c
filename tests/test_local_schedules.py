"""The local environment's CronJob controller: scheduled times run where the schedule is enabled,
not while it is suspended, and not for times missed before a resume; a missed time runs once."""

from datetime import datetime
from pathlib import Path

from cutover.demo.seed import BLUE, GREEN, seed
from cutover.models import ServiceRef, WorkloadKind
from cutover.platform.local import LocalEnvironment

NAME = "nightly-invoices"


def every_minute(tmp_path: Path) -> LocalEnvironment:
    local = seed(tmp_path / "local.json")
    local.update(lambda s: s["clusters"][BLUE][f"billing/cronjob/{NAME}"].update(schedule="* * * * *"))
    local.apply_copy(
        ServiceRef(
            service=NAME,
            namespace="billing",
            kind=WorkloadKind.CRONJOB,
            name=NAME,
            env=GREEN,
            replicas=1,
            image="x",
        )
    )
    return local


def test_runs_go_where_the_schedule_is_enabled(tmp_path: Path) -> None:
    local = every_minute(tmp_path)
    local.advance_clock(120)
    assert [r["env"] for r in local.scheduled_runs()] == [BLUE, BLUE]
    local.set_cron_suspended(BLUE, "billing", NAME, True)
    local.advance_clock(120)  # two times fall while it is enabled nowhere
    local.set_cron_suspended(GREEN, "billing", NAME, False)
    local.advance_clock(60)
    runs = local.scheduled_runs()
    assert [r["env"] for r in runs] == [BLUE, BLUE, GREEN], "a time missed before the resume ran"
    resumed = local.cron_schedule(GREEN, "billing", NAME).resumed_at
    assert resumed is not None and datetime.fromisoformat(runs[-1]["scheduled"]) > resumed


def test_a_missed_time_runs_once(tmp_path: Path) -> None:
    local = every_minute(tmp_path)
    due = local.cron_schedule(BLUE, "billing", NAME).last_scheduled
    assert due is not None
    assert local.start_scheduled_run(GREEN, "billing", NAME, due) is True
    assert local.start_scheduled_run(GREEN, "billing", NAME, due) is False
    assert [r["by"] for r in local.scheduled_runs()] == ["hand-over"]
