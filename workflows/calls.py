"""Calling an activity from a workflow with its types kept.

`call(MigrationActivities.deploy_copy, ref, FORWARD)` is `workflow.execute_activity_method` with the
options as one `ActivityConfig`: the method fixes the input's type and the result's, so mypy reports
an input of the wrong type (tests/workflows/test_typed_boundary.py shows it).
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

Activities = TypeVar("Activities")  # the class whose method the activity is
In = TypeVar("In")  # the activity's one input
Out = TypeVar("Out")  # its result


@overload
async def call(
    method: Callable[[Activities, In], Awaitable[Out]], arg: In, config: workflow.ActivityConfig
) -> Out: ...


@overload
async def call(method: Callable[[Activities, In], Out], arg: In, config: workflow.ActivityConfig) -> Out: ...


async def call(method: Callable[[Activities, In], Any], arg: In, config: workflow.ActivityConfig) -> Any:
    """Run the activity method (async or not) on a worker with arg, under config; its result."""
    return await workflow.execute_activity_method(method, arg, **config)


# Why the migration stops now (abort, history guard), or None while it goes on.
Stop = Callable[[], str | None]


class Interrupted(Exception):
    """The step in flight was cancelled because the migration is stopping; the message says why."""


async def call_unless(
    stop: Stop,
    method: Callable[[Activities, In], Awaitable[Out]],
    arg: In,
    config: workflow.ActivityConfig,
) -> Out:
    """`call`, but cancelled as soon as stop() gives a reason: Interrupted, once the activity stopped.

    The config's WAIT_CANCELLATION_COMPLETED makes the wait last until the activity acknowledged
    (its next heartbeat), so the undos that follow never race it.
    """
    return await until_stopped(stop, workflow.start_activity_method(method, arg, **config))


async def until_stopped(stop: Stop, step: "asyncio.Task[Out]") -> Out:
    """The step's result, or Interrupted after cancelling it (an activity or a child workflow)."""
    await workflow.wait_condition(lambda: step.done() or stop() is not None)
    if step.done():
        return step.result()
    step.cancel()
    try:
        await step
    except (ActivityError, ChildWorkflowError, asyncio.CancelledError):
        pass
    raise Interrupted(stop() or "stopped")
