"""The dry run: the exact ordered steps MigrationWorkflow takes for a plan."""

from cutover.durations import format_duration as fmt
from cutover.plan.model import Plan, traffic_gate


def planned_steps(plan: Plan, exposed: dict[str, bool]) -> list[str]:
    """List the steps in the order the workflow runs them; `exposed` maps service -> exposure."""
    non_exposed = [s.name for s in plan.services if not exposed[s.name]]
    user_facing = [s.name for s in plan.services if exposed[s.name]]
    kinds = {s.name: s.workload_kind for s in plan.services}
    steps = [
        f"preparation: discover and classify {len(plan.services)} workloads in {plan.source.name}; "
        f"check {plan.target.name}; record blue's state",
    ]
    size, limit = plan.non_exposed.batch_size, plan.non_exposed.parallelism
    batches = [non_exposed[i : i + size] for i in range(0, len(non_exposed), size)]
    for number, batch in enumerate(batches, start=1):
        detail = ", ".join(f"{name} ({_non_exposed_actions(kinds[name])})" for name in batch)
        steps.append(f"non-exposed batch {number}/{len(batches)} (up to {limit} at once): {detail}")
    if user_facing:
        steps.append(f"parallel operation: deploy {', '.join(user_facing)} to {plan.target.name} at 0%")
    po = plan.parallel_operation
    steps.append(
        f"parallel operation: bake {fmt(po.duration)}, health checks every {fmt(po.health_check_interval)}"
    )
    steps.append("validation: stress check against green")
    steps.append(_gate(plan, "uat"))
    steps.append("validation: blue-vs-green performance comparison")
    for weight in plan.partial_steps():
        steps.append(f"validation: set {weight}% green, bake {fmt(plan.traffic.bake)}, analyse")
        steps.append(_gate(plan, traffic_gate(weight)))
    steps.append(_gate(plan, "full-cutover"))
    steps.append(f"full cutover: set 100% green, bake {fmt(plan.traffic.bake)}, analyse")
    steps.append("full cutover: final end-to-end checks in both environments")
    mon = plan.monitoring
    steps.append(
        f"full cutover: monitoring window {fmt(mon.window)}, analysis every {fmt(mon.check_interval)}"
    )
    steps.append("post-release review: write the report")
    return steps


def _gate(plan: Plan, name: str) -> str:
    if not plan.needs_approval(name):
        return f"gate {name}: no approval required"
    g = plan.gates
    return (
        f"gate {name}: wait for approval by one of {', '.join(g.approvers)} "
        f"(timeout {fmt(g.timeout)}, then {g.on_timeout.value})"
    )


def _non_exposed_actions(kind: str) -> str:
    if kind == "cronjob":
        return "deploy, verify, hand over schedule, first green run"
    return "deploy, verify"
