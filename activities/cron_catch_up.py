"""The runs a CronJob hand-over's gap skipped, started once where the schedule now lives.

The gap runs from the moment the schedule is suspended where it was to the moment it is resumed
where it goes (a worker dying or freezing inside it makes it long). Its bounds come from the
platform, not from the activity's memory, so a retry after a crash finds the same runs: after the
later of the hand-over's request and the last run disable_in started, up to enable_in's resume.
Each run is the Job the controller would have started for that time, under its name, so neither a
retry nor the controller can start it twice.
"""

from cutover.cron_ticks import job_name, scheduled_times
from cutover.models import CronHandover
from cutover.platform.interfaces import Cluster


def run_missed(cluster: Cluster, handover: CronHandover) -> list[str]:
    """Start the Jobs for the scheduled times the gap skipped; their names (started now or before).

    Raises cron_ticks.ScheduleError when the schedule cannot be read."""
    ns, name = handover.namespace, handover.name
    if handover.since is None or handover.keep_suspended:
        return []  # histories before v5, or a schedule that stays paused: nothing was due
    before = cluster.cron_schedule(handover.disable_in, ns, name)
    after = cluster.cron_schedule(handover.enable_in, ns, name)
    if after.resumed_at is None or not after.schedule:
        return []  # never resumed by a hand-over, or no schedule (the local simulation's plain copies)
    last = max(t for t in (before.last_scheduled, handover.since) if t is not None)
    missed = scheduled_times(after.schedule, after.time_zone, last, after.resumed_at)
    for scheduled in missed:
        cluster.start_scheduled_run(handover.enable_in, ns, name, scheduled)
    return [job_name(name, scheduled) for scheduled in missed]
