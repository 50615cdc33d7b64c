"""What one run of a migration hands the next when it continues as new, and nothing more.

A run continues as new at a boundary between units of work (a batch, a health round, a gate, a
traffic step) once its history passes RUN_EVENTS or RUN_BYTES, or when Temporal suggests it; a run
that must roll back with a large history continues into a run that only rolls back. The carry holds
what the next run needs: the plan and what preparation found, how many units are done, the undo set,
the leases' keepers, the status (its timeline trimmed to CARRIED_EVENTS) and the abort, if any.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_serializer

from cutover.models import Control, Inventory, MigrationStatus

# A run continues as new past either, at its next unit boundary: far inside Temporal's limits
# (51,200 events, 50 MB) and this project's bound of 10,240 events and 10 MB per run, leaving room
# for a rollback, signals and the traffic steps, which run in one run (their analysis groups are
# children that end with it). RUN_EVENTS: the history estimate's (cutover.plan.history_budget).
RUN_BYTES = 4 * 1024 * 1024
# Past either, the migration rolls back (a flood of signals): route everything back to blue at once,
# then continue as new into a run that only rolls back.
GUARD_EVENTS = 8_000
GUARD_BYTES = 8 * 1024 * 1024
CARRIED_EVENTS = 200  # the status's latest events a new run starts with
CARRIED_ANALYSES = 20  # and its latest decisions (the analysis groups stored them all)


class UndoSet(BaseModel):
    """What a rollback undoes, in this order: the testers' UAT route closed, blue's scaled-down
    workloads back up (decommission), every exposed service back to blue at once, the CronJobs'
    schedules back to blue, then green's copies removed. Each is recorded before the action it
    undoes, so an action cut off half-way is undone too; a part is dropped once undone."""

    routed: bool = Field(default=False, description="a traffic step changed weights")
    crons: dict[str, datetime] = Field(
        default_factory=dict, description="CronJobs whose schedule moved to green: when it was asked"
    )
    copies: list[str] = Field(default_factory=list, description="services with a copy in green")
    scaled_down: list[str] = Field(
        default_factory=list, description="services whose blue workload decommission scaled to zero"
    )
    uat_routes: bool = Field(default=False, description="the testers' route to green is (being) opened")

    def __bool__(self) -> bool:
        return (
            self.routed or bool(self.crons) or bool(self.copies) or bool(self.scaled_down) or self.uat_routes
        )


class MigrationCarry(BaseModel):
    status: MigrationStatus
    inventory: Inventory  # without its defaults: a thousand workloads must fit a payload with the plan
    units_done: int = 0
    analysed_steps: int = 0
    undo: UndoSet = Field(default_factory=UndoSet)
    keepers: list[str] = Field(default_factory=list)
    abort: Control | None = None
    reverted: bool = Field(default=False, description="the abort is a revert: its reason says who and why")
    rollback: str | None = Field(default=None, description="why: this run only rolls back")

    @field_serializer("inventory")
    def _compact(self, inventory: Inventory) -> dict[str, Any]:
        return inventory.model_dump(mode="json", exclude_defaults=True)
