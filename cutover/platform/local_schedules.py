"""The local environment's CronJob controller: scheduled times run in whichever cluster is enabled.

Simulated on each write of the state (under its lock), from each CronJob's `schedule` and
`last_schedule`: an enabled CronJob runs every scheduled time since its last one, a suspended one
runs nothing and does not move on (as in Kubernetes), and resuming counts from then on (as the
Kubernetes adapter makes the real controller do). Runs are recorded in `cron_runs` with the Job
name the controller would give them. The clock is the machine's plus `clock_offset` seconds, or a frozen
`clock`; tests and benches move it forward to make a scheduled time fall where they want it.
"""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cutover.cron_ticks import job_name, scheduled_times

State = dict[str, Any]


def now(state: State) -> datetime:
    """The simulated clock: a frozen `clock`, or the machine's plus `clock_offset` seconds."""
    if "clock" in state:
        return datetime.fromisoformat(state["clock"])
    return datetime.fromtimestamp(time.time() + state.get("clock_offset", 0.0), UTC)


def freeze(state: State, at: datetime) -> None:
    """Stop the clock at `at`; every schedule counts from there (the world's time jumped)."""
    state["clock"] = at.isoformat()
    for cluster in state["clusters"].values():
        for key, cron in cluster.items():
            if "/cronjob/" in key and cron.get("schedule"):
                cron["last_schedule"] = state["clock"]


def advance(state: State, seconds: float) -> None:
    if "clock" in state:
        state["clock"] = (datetime.fromisoformat(state["clock"]) + timedelta(seconds=seconds)).isoformat()
    else:
        state["clock_offset"] = state.get("clock_offset", 0.0) + seconds


def run_due(state: State) -> None:
    """Run every scheduled time that has come in a cluster where its CronJob is enabled."""
    moment = now(state)
    for env, cluster in state["clusters"].items():
        for key, cron in cluster.items():
            if "/cronjob/" not in key or not cron.get("schedule"):
                continue
            last = cron.get("last_schedule")
            if last is None:
                cron["last_schedule"] = moment.isoformat()
                continue
            if cron.get("suspended"):
                continue
            due = scheduled_times(
                cron["schedule"], cron.get("time_zone"), datetime.fromisoformat(last), moment
            )
            for scheduled in due:
                start(state, env, key, scheduled, by="schedule")
            if due:
                cron["last_schedule"] = due[-1].isoformat()


def resumed(state: State, cron: dict[str, Any]) -> None:
    """A suspended CronJob is enabled: it counts from now, nothing missed while suspended runs."""
    moment = now(state).isoformat()
    cron["resumed_at"] = moment
    if cron.get("schedule"):
        cron["last_schedule"] = moment


def start(state: State, env: str, key: str, scheduled: datetime, by: str) -> bool:
    """Record the run of key's time `scheduled` in env; False if that Job exists there already."""
    name = job_name(key.rsplit("/", 1)[-1], scheduled)
    if any(run.get("job") == name and run["env"] == env for run in state["cron_runs"]):
        return False
    ok = state["failures"].get("failing_cron") != key.rsplit("/", 1)[-1]
    state["cron_runs"].append(
        {
            "key": name,
            "job": name,
            "env": env,
            "cron": key,
            "ok": ok,
            "scheduled": scheduled.isoformat(),
            "by": by,
        }
    )
    return True
