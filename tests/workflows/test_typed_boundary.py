"""mypy sees across the workflow/activity boundary: an activity given an input of the wrong type is an error.

The workflows call activities as `call(MigrationActivities.method, arg, CONFIG)` or, cancelled on
abort, `call_unless(stop, method, arg, CONFIG)`; the method's signature fixes what arg may be. A
scratch module calls `deploy_copy` (which takes a ServiceRef) through `call`, through
`execute_activity_method`, and `remove_copy` through `call_unless`: with a WeightChange, mypy
reports each call; with a ServiceRef, it reports nothing.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

SCRATCH = """\
from temporalio import workflow

from cutover.activities.migration_activities import MigrationActivities
from cutover.models import {arg_type}
from cutover.workflows.calls import call, call_unless
from cutover.workflows.options import FORWARD, UNDO


async def through_the_helper(arg: {arg_type}) -> None:
    await call(MigrationActivities.deploy_copy, arg, FORWARD)


async def directly(arg: {arg_type}) -> None:
    await workflow.execute_activity_method(MigrationActivities.deploy_copy, arg, **FORWARD)


async def unless_stopped(arg: {arg_type}) -> None:
    await call_unless(lambda: None, MigrationActivities.remove_copy, arg, UNDO)
"""


def mypy(tmp_path: Path, *modules: Path) -> list[str]:
    """mypy --strict's error lines for the modules (errors in the modules they import are not shown)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            *map(str, modules),
        ],
        cwd=ROOT,  # `cutover` from the repo root: cutover.workflows / cutover.activities are links
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2: mypy itself failed
    return [line for line in result.stdout.splitlines() if ": error: " in line]


def test_mypy_reports_an_activity_input_of_the_wrong_type(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_input.py"
    wrong.write_text(SCRATCH.format(arg_type="WeightChange"))
    right = tmp_path / "right_input.py"
    right.write_text(SCRATCH.format(arg_type="ServiceRef"))

    errors = mypy(tmp_path, wrong, right)

    assert not [line for line in errors if "right_input.py" in line], errors
    expected = {
        'Argument 1 to "call"': 10,
        'Argument 2 to "call_unless"': 18,
    }
    for call, line in expected.items():
        found = [e for e in errors if re.search(rf"wrong_input\.py:{line}: error: {call} ", e)]
        assert len(found) == 1, (call, errors)
        assert found[0].endswith("[arg-type]"), found[0]
        assert "Callable[[MigrationActivities, ServiceRef]," in found[0], found[0]
        assert "WeightChange" in found[0], found[0]
    # The SDK's own overloads for an async method report the mismatch as an inference failure.
    sdk = [e for e in errors if re.search(r"wrong_input\.py:14: error: ", e)]
    assert len(sdk) == 1 and 'of "execute_activity_method"' in sdk[0], errors
    assert len(errors) == len(expected) + len(sdk), errors
