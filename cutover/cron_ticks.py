"""The scheduled times of a CronJob inside a window: the runs a hand-over's gap would otherwise skip.

Kubernetes names a scheduled Job `<cronjob>-<scheduled time in minutes since the epoch>`; a run
started for a missed time gets the same name, so the controller and a retried hand-over can never
both start it.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

# A gap only lasts while a worker is away; more missed runs than this means something else is wrong
# (a schedule of seconds, a clock jump), and starting them all at once would flood the namespace.
MAX_MISSED_RUNS = 10


class ScheduleError(ValueError):
    """The CronJob's schedule or time zone cannot be read."""


def scheduled_times(schedule: str, time_zone: str | None, after: datetime, until: datetime) -> list[datetime]:
    """Every scheduled time t with after < t <= until, in UTC (at most MAX_MISSED_RUNS, the latest)."""
    if not croniter.is_valid(schedule):
        raise ScheduleError(f"schedule {schedule!r} is not a cron expression")
    try:
        zone = ZoneInfo(time_zone) if time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"time zone {time_zone!r} is unknown") from error
    times: list[datetime] = []
    ticks = croniter(schedule, (until + timedelta(seconds=1)).astimezone(zone))
    while len(times) < MAX_MISSED_RUNS:
        tick = ticks.get_prev(datetime).astimezone(UTC).replace(fold=0)
        if tick <= after:
            break
        if tick <= until:
            times.append(tick)
    return times[::-1]


def job_name(cron_name: str, scheduled: datetime) -> str:
    """The Job name the CronJob controller gives the run scheduled at `scheduled`."""
    return f"{cron_name}-{int(scheduled.timestamp()) // 60}"
