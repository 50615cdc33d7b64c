"""FreezeWorkflow: a human's change freeze of one environment, in force while the workflow runs.

Why a workflow: a freeze must outlive the CLI that set it, be seen (Web UI, `cutover freezes`) and be
lifted from anywhere. One workflow id per environment (`cutover-freeze-<env>`) gives at most one freeze
per environment, a durable timer ends it at `until`, and Temporal's describe of that id answers
"frozen?" strongly consistently, with no worker up: running is frozen. The memo (FREEZE_MEMO) is kept
current, so the same describe says why and until when.

Inputs are taken untyped and read defensively, as the migration's are: nothing sent from the Web UI
can fail a workflow task (a run stuck on a bad input would be a freeze nobody can read). A bad start
input fails the run at once, and a failed run freezes nothing.
"""

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from cutover.freezes.orders import (
        FREEZE_ID_PREFIX,
        FREEZE_MEMO,
        FREEZE_WORKFLOW_TYPE,
        ORDER_EXAMPLE,
        UNFREEZE_EXAMPLE,
        FreezeEnded,
        FreezeOrder,
        Unfreeze,
        freeze_workflow_id,
    )
    from cutover.freezes.windows import ActiveFreeze, shown_instant
    from cutover.workflow_inputs import Refused, read_input

__all__ = [
    "FREEZE_ID_PREFIX",
    "FREEZE_WORKFLOW_TYPE",
    "FreezeEnded",
    "FreezeOrder",
    "FreezeWorkflow",
    "Unfreeze",
    "freeze_workflow_id",
]

FREEZE_HELP = "The freeze as it stands (env, reason, until, by), or null once lifted or expired. No input."
EXTEND_HELP = (
    f"Replace the freeze's reason and until (a later or earlier end, or null: until lifted); until must be "
    f"in the future. Answers the freeze as it now stands. Input: {ORDER_EXAMPLE}."
)
UNFREEZE_HELP = f"Lift the freeze now; the workflow completes. Input: {UNFREEZE_EXAMPLE}."
T = TypeVar("T")


def _taken(check: Callable[[], T]) -> T:
    """In an Update's handler: what its validator checked, again, as two Updates of one workflow task
    may both pass their validators; a ValueError here would fail the workflow task, so it becomes the
    Update's failure."""
    try:
        return check()
    except ValueError as refused:
        raise ApplicationError(str(refused), type="FreezeRefused", non_retryable=True) from None


@workflow.defn(name=FREEZE_WORKFLOW_TYPE)
class FreezeWorkflow:
    """Runs until `until` (a timer) or an `unfreeze`, then completes with how the freeze ended."""

    @workflow.init
    def __init__(self, *inputs: object) -> None:
        order = read_input(inputs, FreezeOrder, ORDER_EXAMPLE)
        self._refusal = ""
        if isinstance(order, Refused):
            self._refusal = f"bad FreezeOrder: {order.reason}"
        elif workflow.info().workflow_id != freeze_workflow_id(order.env):
            self._refusal = (
                f"a freeze of {order.env} runs as {freeze_workflow_id(order.env)}, "
                f"not {workflow.info().workflow_id}: nothing would find it"
            )
        self._freeze = order.active() if isinstance(order, FreezeOrder) and not self._refusal else None
        self._lifted: Unfreeze | None = None
        self._changes = 0

    @workflow.run
    async def run(self, *inputs: object) -> FreezeEnded:
        if self._freeze is None:
            raise ApplicationError(self._refusal, type="BadInput", non_retryable=True)
        self._remember()
        await self._hold()
        await workflow.wait_condition(workflow.all_handlers_finished)
        lifted = self._lifted
        return FreezeEnded(
            freeze=self._freeze,
            ended="lifted" if lifted else "expired",
            lifted_by=lifted.by if lifted else None,
            lift_reason=lifted.reason if lifted else "",
        )

    async def _hold(self) -> None:
        """Until lifted, or until the freeze's `until` (as the latest extend set it) has passed."""
        while self._lifted is None:
            assert self._freeze is not None
            moved, until = self._moved_since(self._changes), self._freeze.until
            if until is None:
                await workflow.wait_condition(moved)
                continue
            left = until - workflow.now()
            if left <= timedelta(0):
                return
            try:
                await workflow.wait_condition(
                    moved,
                    timeout=left,
                    timeout_summary=f"frozen until {shown_instant(until)}",
                )
            except TimeoutError:
                pass  # the loop finds until passed (or an extend moved it)

    def _moved_since(self, changes: int) -> Callable[[], bool]:
        """Whether the freeze has been lifted, or changed by an extend, since it had this many changes."""
        return lambda: self._lifted is not None or self._changes != changes

    def _remember(self) -> None:
        """The memo (describe, visibility) and the Web UI's current details: the freeze as it stands
        (the start's static summary keeps the first reason)."""
        assert self._freeze is not None
        workflow.upsert_memo({FREEZE_MEMO: self._freeze.model_dump(mode="json")})
        workflow.set_current_details(self._freeze.describe())

    @workflow.query(name="freeze", description=FREEZE_HELP)
    def freeze(self) -> ActiveFreeze | None:
        return None if self._lifted is not None else self._freeze

    @workflow.update(name="extend", description=EXTEND_HELP)
    def extend(self, *inputs: object) -> ActiveFreeze:
        order = _taken(lambda: self._order_now(inputs))  # as the validator found, unless it changed
        self._freeze = order.active()
        self._changes += 1
        self._remember()
        return self._freeze

    @extend.validator
    def validate_extend(self, *inputs: object) -> None:
        self._order_now(inputs)

    def _order_now(self, inputs: Sequence[object]) -> FreezeOrder:
        """The new order, or a ValueError saying why it is refused (it then leaves no trace)."""
        current = self._in_force()
        order = read_input(inputs, FreezeOrder, ORDER_EXAMPLE)
        if isinstance(order, Refused):
            raise ValueError(f"extend refused: {order.reason}")
        if order.env != current.env:
            raise ValueError(f"extend refused: this is the freeze of {current.env}, not of {order.env}")
        now = workflow.now()
        if order.until is not None and order.until <= now:
            raise ValueError(
                f"extend refused: until {shown_instant(order.until)} is not in the future "
                f"(now {shown_instant(now)})"
            )
        return order

    @workflow.update(name="unfreeze", description=UNFREEZE_HELP)
    def unfreeze_update(self, *inputs: object) -> ActiveFreeze:
        """The freeze that was lifted."""
        lifted = _taken(self._in_force)
        self._lifted = _taken(lambda: self._unfreeze_now(inputs))
        return lifted

    @unfreeze_update.validator
    def validate_unfreeze(self, *inputs: object) -> None:
        self._unfreeze_now(inputs)

    @workflow.signal(name="unfreeze", description=UNFREEZE_HELP)
    def unfreeze(self, *inputs: object) -> None:
        """As the Update, for the Web UI's Send a Signal; a bad input is logged and changes nothing."""
        try:
            self._lifted = self._lifted or self._unfreeze_now(inputs)
        except ValueError as refused:
            workflow.logger.warning("%s", refused)

    def _unfreeze_now(self, inputs: Sequence[object]) -> Unfreeze:
        self._in_force()
        unfreeze = read_input(inputs, Unfreeze, UNFREEZE_EXAMPLE)
        if isinstance(unfreeze, Refused):
            raise ValueError(f"unfreeze refused: {unfreeze.reason}")
        return unfreeze

    def _in_force(self) -> ActiveFreeze:
        if self._freeze is None:
            raise ValueError(f"refused: this freeze never held ({self._refusal})")
        if self._lifted is not None:
            raise ValueError(f"refused: the freeze of {self._freeze.env} was lifted by {self._lifted.by}")
        return self._freeze
