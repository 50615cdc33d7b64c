"""The UAT route in whole migrations on the local environment: opened with the uat gate, read back
from the platform while testers use it, and closed on every path: approved, rejected, a failing UAT
check, an abort. The status, the UI's details and the timeline say how to reach green meanwhile."""

from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.models import Control, GateDecision, MigrationStatus, Outcome
from cutover.plan.model import PlanError, parse_plan
from cutover.platform.local import LocalEnvironment
from cutover.workflows.details import current_details
from cutover.workflows.migration import MigrationWorkflow
from tests.workflows.helpers import Harness, make_plan, migration

HEADER = {"header": "X-Cutover", "value": "green"}
EXPOSED = ("shop/checkout", "shop/catalog")


def routes(local: LocalEnvironment) -> dict[str, Any]:
    return dict(local.read().get("uat_routes", {}))


async def open_at_the_gate(h: Harness) -> MigrationStatus:
    status = await h.at_gate("uat")
    assert routes(h.local) == {key: HEADER for key in EXPOSED}, "the route is open while the gate is"
    assert h.local.uat_route("shop", "checkout") is not None
    assert status.uat_route == (
        "requests with header X-Cutover: green reach green's checkout, catalog; the rest stay on blue"
    )
    assert status.open_gate and status.open_gate.note == f"UAT on green: {status.uat_route}"
    assert "— UAT on green: requests with header X-Cutover: green" in current_details(status)
    opened = [e.message for e in status.timeline if e.kind == "gate-open"][-1]
    assert opened.endswith(f"; UAT on green: {status.uat_route}"), "the gate's notice says how"
    assert set(status.weights.values()) == {0}, "the public stays on blue"
    return status


def uat_lines(status: MigrationStatus) -> list[str]:
    return [e.message for e in status.timeline if e.kind == "uat-route"]


async def test_the_route_opens_with_the_gate_and_closes_once_it_is_approved(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = make_plan(uat={"route": HEADER})
    async with migration(time_skipping_env, tmp_path, plan) as h:
        await open_at_the_gate(h)
        await h.approve("uat")
        after = await h.until(lambda s: s.open_gate is None and s.uat_route is None)
        assert routes(h.local) == {}
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert after.uat_route is None
    assert uat_lines(result)[-1] == "UAT route closed: the uat gate is decided"


@pytest.mark.parametrize("ending", ["reject", "abort", "failing-check"])
async def test_the_route_is_closed_on_every_way_to_a_rollback(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, ending: str
) -> None:
    failing = {
        "name": "uat-smoke",
        "kind": "http",
        "stages": ["uat"],
        "http": {"targets": {"green": "http://127.0.0.1:9"}, "requests": [{"path": "/"}], "retries": 0},
    }
    plan = make_plan(uat={"route": HEADER}, checks=[failing] if ending == "failing-check" else [])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        if ending != "failing-check":
            await open_at_the_gate(h)
        if ending == "reject":
            await h.handle.signal(
                MigrationWorkflow.reject, GateDecision(gate="uat", sender="alice", comment="no")
            )
        if ending == "abort":
            await h.handle.signal(
                MigrationWorkflow.abort, Control(sender="alice", reason="testers found a bug")
            )
        result = await h.handle.result()
        left = routes(h.local)
    assert result.outcome == Outcome.ROLLED_BACK
    assert left == {}, "a rollback closes the route"
    assert result.uat_route is None
    assert uat_lines(result)[0].startswith("UAT route open: ")
    assert uat_lines(result)[-1] == "UAT route closed: rolling back"
    ops = [op["op"] for op in h.local.read()["operations"] if op["op"].startswith("uat-")]
    assert ops == ["uat-open", "uat-open", "uat-close", "uat-close"]


def test_a_route_without_the_uat_gate_is_refused_with_the_field() -> None:
    plan = make_plan().model_dump(mode="json") | {"uat": {"route": HEADER}}
    plan["gates"]["require"] = ["full-cutover"]
    with pytest.raises(PlanError) as refused:
        parse_plan(plan)
    assert "uat.route: testers use it while the uat gate is open; add uat to gates.require" in str(
        refused.value
    )
    with pytest.raises(PlanError) as bad:
        parse_plan(
            make_plan().model_dump(mode="json")
            | {"uat": {"route": {"header": "Authorization", "value": "x"}}}
        )
    assert "uat.route.header" in str(bad.value)
