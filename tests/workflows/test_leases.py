"""One owner per workload, and no second hand-over: checked in preparation, before anything changes."""

import uuid
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from cutover.leases import planned_workloads
from cutover.models import MigrationStatus, Outcome
from cutover.plan.model import Plan
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import Harness, make_plan, migration
from tests.workflows.support import no_gate_plan


async def run_beside(h: Harness, plan: Plan) -> MigrationStatus:
    """A second migration on the same worker and environment, to its end."""
    return await h.env.client.execute_workflow(
        MigrationWorkflow.run, plan, id=f"second-{uuid.uuid4()}", task_queue=h.task_queue
    )


def remove_green_copies(state: dict[str, Any]) -> None:
    green = state["clusters"]["eks-fargate"]
    for key in [k for k in green if k.split("/")[1] in ("deployment", "cronjob")]:
        del green[key]


async def lease_states(h: Harness, plan: Plan) -> set[WorkflowExecutionStatus | None]:
    keys = [k for env in (plan.source.name, plan.target.name) for k in planned_workloads(plan, env)]
    return {(await h.env.client.get_workflow_handle(k.lease_id).describe()).status for k in keys}


async def test_a_migration_needing_a_leased_workload_is_refused_in_preparation(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    first = make_plan()
    async with migration(time_skipping_env, tmp_path, plan=first) as h:
        await h.at_gate("uat")
        assert await lease_states(h, first) == {WorkflowExecutionStatus.RUNNING}
        holding = h.local.read()
        overlapping = make_plan(
            name="checkout-only",
            services=[{"name": "co", "workload": "deployment/checkout", "namespace": "shop"}],
        )
        second = await run_beside(h, overlapping)
        assert second.outcome == Outcome.ROLLED_BACK
        for env in ("eks", "eks-fargate"):
            assert f"deployment/checkout in namespace shop of {env} is held by migration {h.handle.id}" in (
                second.outcome_reason
            )
        assert h.local.read() == holding, "the refused migration changed something"
        assert not [e for e in second.timeline if e.kind == "discovered"], "it read blue before holding it"
        result = await h.run_approving_all()
        assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
        assert await lease_states(h, first) == {WorkflowExecutionStatus.COMPLETED}, "leases outlived it"
        assert "gave the plan's workloads back" in [e.message for e in result.timeline]


async def test_a_plan_that_already_ran_is_refused_before_a_second_hand_over(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = no_gate_plan()
    async with migration(time_skipping_env, tmp_path, plan=plan) as h:
        first = await h.handle.result()
        assert first.outcome == Outcome.SUCCEEDED, first.outcome_reason
        moved = h.local.read()
        again = await run_beside(h, plan)
    assert again.outcome == Outcome.ROLLED_BACK
    for service in plan.services:
        assert f"{service.name}: {service.workload} already runs in namespace" in again.outcome_reason
    after = h.local.read()
    assert after["clusters"] == moved["clusters"] and after["routes"] == moved["routes"]
    crons = [k for k in moved["clusters"]["eks-fargate"] if "/cronjob/" in k]
    assert crons and all(not after["clusters"]["eks-fargate"][k]["suspended"] for k in crons)


async def test_the_leases_of_a_terminated_migration_go_to_the_next_that_needs_them(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Keepers outlive a run's continue-as-new (ABANDON), so the server no longer ends them with it."""
    plan = make_plan()
    async with migration(time_skipping_env, tmp_path, plan=plan) as h:
        await h.at_gate("uat")
        await h.handle.terminate(reason="test: a human ends it by hand")
        assert await lease_states(h, plan) == {WorkflowExecutionStatus.RUNNING}, "nothing frees them yet"
        h.local.update(remove_green_copies)  # a human cleans up after terminating it
        second = await run_beside(h, no_gate_plan())
        assert second.outcome == Outcome.SUCCEEDED, second.outcome_reason
        stale = f"{h.handle.id}/leases-source"
        described = await h.env.client.get_workflow_handle(stale).describe()
        assert described.status == WorkflowExecutionStatus.TERMINATED, "the stale keeper runs on"
