"""A plan's migration as a Temporal Schedule: started by the server in a maintenance window.

A scheduled migration is started by Temporal itself, so nobody has to be awake at 02:00 and a
worker restart cannot miss it. Two runs of one plan must never overlap (SKIP), and a window that
was missed (the server was down) is not caught up later than the catch-up window: a migration
starting hours after its window would start outside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)

from cutover.durations import parse_duration
from cutover.plan.model import Plan
from cutover.temporal.start_options import migration_start_options
from cutover.workflows.migration import MigrationWorkflow

DEFAULT_CATCHUP = timedelta(minutes=10)
MIN_CATCHUP = timedelta(seconds=10)


class ScheduleInputError(ValueError):
    """A schedule option that cannot be used; the message starts with the option's name."""


@dataclass(frozen=True)
class When:
    """Either one moment (`once`) or cron expressions in a time zone."""

    once: datetime | None = None
    cron: tuple[str, ...] = ()
    time_zone: str | None = None

    def describe(self) -> str:
        if self.once is not None:
            return f"once at {self.once.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
        zone = f" ({self.time_zone})" if self.time_zone else " (UTC)"
        return "cron " + ", ".join(f"'{c}'" for c in self.cron) + zone


def when_from_options(at: str | None, cron: Sequence[str], time_zone: str | None, now: datetime) -> When:
    """--at or --cron (with an optional --timezone), checked before anything is created."""
    if (at is None) == (not cron):
        raise ScheduleInputError("--at/--cron: give either --at (one window) or --cron (repeating), not both")
    if time_zone is not None:
        if at is not None:
            raise ScheduleInputError("--timezone: applies to --cron only; --at carries its own offset")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleInputError(f"--timezone: unknown time zone {time_zone!r}") from None
    if at is None:
        return When(cron=tuple(cron), time_zone=time_zone)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise ScheduleInputError(
            f"--at: {at!r} is not an ISO 8601 time such as 2026-11-28T02:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ScheduleInputError(f"--at: {at!r} has no UTC offset; add one, e.g. Z or +01:00")
    if moment <= now:
        raise ScheduleInputError(f"--at: {at!r} is in the past")
    return When(once=moment.astimezone(UTC).replace(microsecond=0))


def catchup_from_option(text: str) -> timedelta:
    try:
        catchup = parse_duration(text)
    except ValueError as error:
        raise ScheduleInputError(f"--catchup: {error}") from None
    if catchup < MIN_CATCHUP:
        raise ScheduleInputError(f"--catchup: must be at least {MIN_CATCHUP.seconds}s")
    return catchup


def _exactly(value: int) -> tuple[ScheduleRange]:
    return (ScheduleRange(value),)


def spec_for(when: When) -> ScheduleSpec:
    if when.once is None:
        return ScheduleSpec(cron_expressions=list(when.cron), time_zone_name=when.time_zone)
    moment = when.once
    calendar = ScheduleCalendarSpec(
        second=_exactly(moment.second),
        minute=_exactly(moment.minute),
        hour=_exactly(moment.hour),
        day_of_month=_exactly(moment.day),
        month=_exactly(moment.month),
        year=_exactly(moment.year),
        comment=when.describe(),
    )
    return ScheduleSpec(calendars=[calendar], time_zone_name="UTC")


def migration_schedule(
    plan: Plan,
    when: When,
    workflow_id: str,
    task_queue: str,
    catchup: timedelta = DEFAULT_CATCHUP,
    note: str = "",
    paused: bool = False,
) -> Schedule:
    """Start MigrationWorkflow(plan) at `when`; Temporal appends the start time to workflow_id."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MigrationWorkflow.run,
            plan,
            id=workflow_id,
            task_queue=task_queue,
            **migration_start_options(plan),
        ),
        spec=spec_for(when),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=catchup),
        state=ScheduleState(
            note=when.describe() + (f" — {note}" if note else ""),
            paused=paused,
            limited_actions=when.once is not None,
            remaining_actions=1 if when.once is not None else 0,
        ),
    )
