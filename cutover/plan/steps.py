"""The dry run: the ordered steps MigrationWorkflow takes for a plan.

`plan show` prints them and the history budget counts them; tests/workflows/test_step_sequence.py
runs real migrations and checks that their timelines follow this sequence, so the three agree.
"""

from dataclasses import dataclass
from enum import StrEnum

from cutover.durations import format_duration as fmt
from cutover.models import Phase, WorkloadKind
from cutover.plan.look_schedule import look_schedule
from cutover.plan.model import DECOMMISSION_GATE, Plan, traffic_gate


class StepKind(StrEnum):
    PREPARE = "prepare"
    BATCH = "batch"
    DEPLOY = "deploy"
    BAKE = "bake"
    HEALTH = "health"
    GATE = "gate"
    TRAFFIC = "traffic"
    FINAL_CHECKS = "final-checks"
    MONITOR = "monitor"
    DECOMMISSION = "decommission"
    REVIEW = "review"


@dataclass(frozen=True)
class PlannedStep:
    phase: Phase
    kind: StepKind
    text: str
    gate: str | None = None  # GATE: its name
    approval: bool = False  # GATE: waits for an approver
    weight: int | None = None  # TRAFFIC, MONITOR: green's percentage


def step_sequence(plan: Plan, exposed: dict[str, bool]) -> list[PlannedStep]:
    """Every step in the order the workflow runs them; `exposed` maps service -> exposure."""
    non_exposed = [s.name for s in plan.services if not exposed[s.name]]
    user_facing = [s.name for s in plan.services if exposed[s.name]]
    kinds = {s.name: s.workload_kind for s in plan.services}
    steps = [
        PlannedStep(
            Phase.PREPARATION,
            StepKind.PREPARE,
            f"preparation: discover and classify {len(plan.services)} workloads in {plan.source.name}; "
            f"check {plan.target.name}; record blue's state",
        )
    ]
    size, limit = plan.non_exposed.batch_size, plan.non_exposed.parallelism
    batches = [non_exposed[i : i + size] for i in range(0, len(non_exposed), size)]
    for number, batch in enumerate(batches, start=1):
        detail = ", ".join(f"{name} ({_non_exposed_actions(kinds[name])})" for name in batch)
        text = f"non-exposed batch {number}/{len(batches)} (up to {limit} at once): {detail}"
        steps.append(PlannedStep(Phase.NON_EXPOSED, StepKind.BATCH, text))
    if user_facing:
        text = f"parallel operation: deploy {', '.join(user_facing)} to {plan.target.name} at 0%"
        steps.append(PlannedStep(Phase.PARALLEL, StepKind.DEPLOY, text))
    po = plan.parallel_operation
    text = f"parallel operation: bake {fmt(po.duration)}, health checks every {fmt(po.health_check_interval)}"
    steps.append(PlannedStep(Phase.PARALLEL, StepKind.BAKE, text))
    text = "validation: check both environments answer (green has no users yet: analysis starts at 1st step)"
    steps.append(PlannedStep(Phase.VALIDATION, StepKind.HEALTH, text))
    steps.append(_gate(plan, Phase.VALIDATION, "uat"))
    interval = plan.analysis.interval
    bake = f"{fmt(plan.traffic.bake)}, {look_schedule(plan.traffic.bake, interval).describe()}"
    for weight in plan.partial_steps():
        text = f"validation: set {weight}% green, bake {bake}"
        steps.append(PlannedStep(Phase.VALIDATION, StepKind.TRAFFIC, text, weight=weight))
        steps.append(_gate(plan, Phase.VALIDATION, traffic_gate(weight)))
    steps.append(_gate(plan, Phase.FULL_CUTOVER, "full-cutover"))
    text = f"full cutover: set 100% green, bake {bake}"
    steps.append(PlannedStep(Phase.FULL_CUTOVER, StepKind.TRAFFIC, text, weight=100))
    text = "full cutover: final end-to-end checks in both environments"
    steps.append(PlannedStep(Phase.FULL_CUTOVER, StepKind.FINAL_CHECKS, text))
    mon = plan.monitoring
    looks = look_schedule(mon.window, interval).describe()
    text = f"full cutover: monitoring window {fmt(mon.window)}, {looks}"
    steps.append(PlannedStep(Phase.FULL_CUTOVER, StepKind.MONITOR, text, weight=100))
    if mon.decommission:
        steps += _decommission(plan)
    steps.append(PlannedStep(Phase.REVIEW, StepKind.REVIEW, "post-release review: write the report"))
    return steps


def _decommission(plan: Plan) -> list[PlannedStep]:
    """The optional gate that gives blue up: neither its rejection nor its timeout rolls back."""
    g = plan.gates
    gate = (
        f"gate {DECOMMISSION_GATE}: wait for approval by one of {', '.join(g.approvers)} "
        f"(timeout {fmt(g.timeout)}, then blue stays as hot standby; a rejection keeps it too)"
    )
    scale = (
        f"full cutover: once approved, scale blue's Deployments and StatefulSets to zero in "
        f"{plan.source.name} (kept: `kubectl scale` brings them back; `cutover revert` does until the end)"
    )
    return [
        PlannedStep(Phase.FULL_CUTOVER, StepKind.GATE, gate, gate=DECOMMISSION_GATE, approval=True),
        PlannedStep(Phase.FULL_CUTOVER, StepKind.DECOMMISSION, scale),
    ]


def planned_steps(plan: Plan, exposed: dict[str, bool]) -> list[str]:
    """What `plan show` prints, one line per step."""
    return [step.text for step in step_sequence(plan, exposed)]


def _gate(plan: Plan, phase: Phase, name: str) -> PlannedStep:
    if not plan.needs_approval(name):
        return PlannedStep(phase, StepKind.GATE, f"gate {name}: no approval required", gate=name)
    g = plan.gates
    text = (
        f"gate {name}: wait for approval by one of {', '.join(g.approvers)} "
        f"(timeout {fmt(g.timeout)}, then {g.on_timeout.value})"
    )
    return PlannedStep(phase, StepKind.GATE, text, gate=name, approval=True)


def _non_exposed_actions(kind: str) -> str:
    if kind == WorkloadKind.CRONJOB:
        return "deploy, verify, hand over schedule, first green run"
    return "deploy, verify"
