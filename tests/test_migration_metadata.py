"""A migration's summary and details in the Web UI: what the plan is, within Temporal's limits."""

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import ScheduleActionStartWorkflow

from cutover.temporal.schedules import When, migration_schedule
from cutover.temporal.start_options import migration_details, migration_summary
from tests.workflows.helpers import make_plan

SUMMARY_LIMIT = 400  # bytes: Temporal's default limit on a summary
DETAILS_LIMIT = 20_000  # bytes: on details


def test_the_summary_and_details_say_plan_environments_services_and_gates() -> None:
    plan = make_plan()
    assert migration_summary(plan) == "migration shop-to-fargate: 5 services, eks → eks-fargate"
    details = migration_details(plan)
    assert details.startswith("**Plan** shop-to-fargate: blue eks → green eks-fargate")
    assert "**Traffic steps** (green %): 2, 25, 75, 100, each baked 30m" in details
    for service in plan.services:
        assert f"- {service.name}: {service.workload} in {service.namespace}," in details
    assert "- uat: one approval from alice, bob" in details
    assert "- traffic-2: no approval needed" in details


def test_a_largest_plan_stays_within_temporals_limits() -> None:
    services: list[dict[str, Any]] = [
        {"name": f"web-{i}", "workload": f"deployment/web-{i}", "namespace": "web", "exposure": "exposed"}
        for i in range(1000)
    ]
    people = [f"approver-with-a-long-name-{i:03}@example.com" for i in range(50)]
    plan = make_plan(
        name="x" * 63,
        services=services,
        gates={"require": ["uat", "traffic-2", "traffic-25", "full-cutover"], "approvers": people},
    )
    details = migration_details(plan)
    assert len(migration_summary(plan).encode()) <= SUMMARY_LIMIT
    assert len(details.encode()) <= DETAILS_LIMIT
    assert "- and 960 more (query `status`, or `cutover plan show`)" in details
    assert "and 40 more" in details  # approvers past the first ten are counted


def test_a_scheduled_migration_starts_with_them() -> None:
    plan = make_plan()
    when = When(once=datetime(2030, 1, 1, 2, 0, tzinfo=UTC))
    action = migration_schedule(plan, when, "cutover-shop", "cutover", timedelta(minutes=5)).action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.static_summary == migration_summary(plan)
    assert action.static_details == migration_details(plan)


def test_free_text_cannot_break_the_details_layout() -> None:
    plan = make_plan(gates={"approvers": ["eve*](http://evil)"]})
    assert "eve\\*\\]" in migration_details(plan)
