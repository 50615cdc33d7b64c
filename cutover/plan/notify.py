"""The plan's choice of who hears of what: routes from notification kinds to the worker's named
destinations (the destinations, their URLs and secrets stay in the worker's platform config)."""

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field

from cutover.durations import Duration
from cutover.notify.events import NotificationKind
from cutover.plan.fields import Strict, within

ANY_EVENT = "*"
REMIND_BEFORE_BOUNDS = (timedelta(0), timedelta(days=7))  # 0: no reminder
DestinationName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class NotifyRoute(Strict):
    to: list[DestinationName] = Field(min_length=1, max_length=10, description="destination names")
    events: list[NotificationKind | Literal["*"]] = Field(
        min_length=1, max_length=len(NotificationKind) + 1, description="notification kinds, or *"
    )


class Notify(Strict):
    routes: list[NotifyRoute] = Field(default_factory=list, max_length=20)
    remind_before: Annotated[Duration, within(*REMIND_BEFORE_BOUNDS)] = Field(
        default=timedelta(hours=1),
        description="gate-reminder: this long before an open gate times out (at most half its timeout)",
    )

    def destinations_for(self, kind: NotificationKind) -> list[str]:
        """Every destination a route sends this kind to, each once, in the plan's order."""
        names: list[str] = []
        for route in self.routes:
            if kind in route.events or ANY_EVENT in route.events:
                names += [name for name in route.to if name not in names]
        return names
