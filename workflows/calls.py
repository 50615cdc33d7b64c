"""Calling an activity from a workflow with its types kept.

`call(MigrationActivities.deploy_copy, ref, FORWARD)` is `workflow.execute_activity_method` with the
options as one `ActivityConfig`: the method fixes the input's type and the result's, so mypy reports
an input of the wrong type (tests/workflows/test_typed_boundary.py shows it).
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from temporalio import workflow

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
