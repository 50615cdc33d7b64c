"""How often the analysis looks through a bake: MigrationWorkflow._watch's loop, as data.

The workflow waits `min(interval, bake - elapsed)` before each look (a whole interval when the bake
is 0s), and each look counts the window it waited. So a bake of D looks ceil(D / interval) times,
every interval, the last look counting what is left; a bake shorter than the interval looks once,
after D; a 0s bake looks once, after one interval. `plan show` words this, the history budget
counts it, and the traffic estimate multiplies it by the expected requests.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from cutover.durations import format_duration as fmt


@dataclass(frozen=True)
class LookSchedule:
    """`count` looks, each counting `every` of traffic except the last, which counts `last`."""

    count: int
    every: timedelta
    last: timedelta

    @property
    def counted(self) -> timedelta:
        """The traffic the looks of one bake count together."""
        return self.every * (self.count - 1) + self.last

    def describe(self) -> str:
        """'a look every 1m (30 looks)', or 'one look after 2s' when the bake is shorter."""
        if self.count == 1:
            return f"one look after {fmt(self.last)}"
        if self.last == self.every:
            return f"a look every {fmt(self.every)} ({self.count} looks)"
        return f"a look every {fmt(self.every)} ({self.count} looks, the last after {fmt(self.last)})"


def look_schedule(bake: timedelta, interval: timedelta) -> LookSchedule:
    """The looks the workflow makes through one bake (or monitoring window) of this length."""
    if bake <= timedelta(0):
        return LookSchedule(count=1, every=interval, last=interval)
    count = math.ceil(bake / interval)
    last = bake - interval * (count - 1)
    return LookSchedule(count=count, every=min(interval, bake), last=last)
