"""`plan show`'s steps are the steps a real migration takes, in the same order.

The sequence (cutover/plan/steps.py) is what `plan show` prints and what the history budget
counts; here real migrations run on the time-skipping server and their timelines must pass the
same milestones: phases, batches, opened gates, traffic weights, analyses and the review.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.models import Event, MigrationStatus, Outcome
from cutover.plan.model import Plan
from cutover.plan.steps import PlannedStep, StepKind, step_sequence
from tests.workflows.helpers import make_plan, migration

Milestone = tuple[str, ...]


def planned(steps: list[PlannedStep]) -> list[Milestone]:
    milestones: list[Milestone] = []
    phase = None
    for step in steps:
        if step.phase != phase and step.kind is not StepKind.REVIEW:
            milestones.append(("phase", step.phase.value))
        phase = step.phase
        if step.kind is StepKind.BATCH:
            milestones.append(("batch",))
        elif step.kind is StepKind.GATE and step.approval:
            milestones.append(("gate", str(step.gate)))
        elif step.kind is StepKind.TRAFFIC:
            milestones += [("traffic", str(step.weight)), ("analysis", f"bake at {step.weight}%")]
        elif step.kind is StepKind.MONITOR:
            milestones.append(("analysis", "intensive monitoring"))
        elif step.kind is StepKind.REVIEW:
            milestones.append(("review",))
    return _collapse(milestones)


def observed(timeline: list[Event]) -> list[Milestone]:
    milestones: list[Milestone] = []
    for event in timeline:
        if event.kind == "phase":
            milestones.append(("phase", event.message.removeprefix("entered ")))
        elif event.kind == "batch":
            milestones.append(("batch",))
        elif event.kind == "gate-open":
            milestones.append(("gate", event.message.split()[1]))
        elif event.kind == "weights":
            milestones.append(("traffic", _match(r": (\d+)% green$", event.message)))
        elif event.kind == "analysis":
            milestones.append(("analysis", _match(r"^(.*) \S+: (?:passed|pass)$", event.message)))
        elif event.kind == "review":
            milestones.append(("review",))
    return _collapse(milestones)


def exposure(timeline: list[Event]) -> dict[str, bool]:
    """What preparation discovered, as `plan show` classifies it."""
    found = (e.message for e in timeline if e.kind == "discovered")
    return {line.split(":")[0]: " exposed," in line for line in found}


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{text!r} does not match {pattern!r}"
    return found.group(1)


def _collapse(milestones: list[Milestone]) -> list[Milestone]:
    """One entry per milestone: a step acting on every service records one event per service."""
    return [m for i, m in enumerate(milestones) if i == 0 or milestones[i - 1] != m]


PLANS: dict[str, dict[str, Any]] = {
    "default harness plan": {},
    "one per batch, other steps, no gates": {
        "non_exposed": {"batch_size": 1, "parallelism": 1},
        "traffic": {"steps": [5, 50, 100], "bake": "10m"},
        "gates": {
            "require": ["traffic-50"],
            "approvers": ["alice"],
            "timeout": "1h",
            "on_timeout": "rollback",
        },
    },
}


@pytest.mark.parametrize("overrides", PLANS.values(), ids=PLANS.keys())
async def test_a_run_takes_the_steps_plan_show_lists(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, overrides: dict[str, Any]
) -> None:
    plan: Plan = make_plan(**overrides)
    async with migration(time_skipping_env, tmp_path, plan=plan) as h:
        result: MigrationStatus = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert observed(result.timeline) == planned(step_sequence(plan, exposure(result.timeline)))
