"""The estimate that guards plans matches what a migration's runs really record, in events and bytes."""

from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from cutover.models import Outcome
from cutover.plan.history_budget import RUN_EVENT_LIMIT, estimate_history, history_problems
from tests.workflows.helpers import make_plan, migration

DECLARED = [
    {"name": "nightly-invoices", "workload": "cronjob/nightly-invoices", "namespace": "billing"},
    {"name": "ledger-export", "workload": "cronjob/ledger-export", "namespace": "billing"},
    {
        "name": "email-worker",
        "workload": "deployment/email-worker",
        "namespace": "shop",
        "exposure": "non-exposed",
    },
    {"name": "checkout", "workload": "deployment/checkout", "namespace": "shop", "exposure": "exposed"},
    {"name": "catalog", "workload": "deployment/catalog", "namespace": "shop", "exposure": "exposed"},
]


async def recorded(env: WorkflowEnvironment, tmp_path: Path, **overrides: Any) -> tuple[int, int, Any]:
    """The migration's events (one run at this size), its analysis group's, and the estimate."""
    plan = make_plan(services=DECLARED, **overrides)
    async with migration(env, tmp_path, plan) as h:
        result = await h.run_approving_all()
        history = await h.handle.fetch_history()
        group = await env.client.get_workflow_handle(f"{h.handle.id}/analysis-0").fetch_history()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    return len(history.events), len(group.events), estimate_history(plan)


async def test_estimate_matches_a_recorded_migration(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    for case, overrides in {
        "short loops": {},
        "long loops": {
            "parallel_operation": {"duration": "12h", "health_check_interval": "15m"},
            "monitoring": {"window": "6h"},
        },
    }.items():
        events, group_events, estimate = await recorded(time_skipping_env, tmp_path / case, **overrides)
        assert abs(events - estimate.total) <= 0.1 * events, (case, events, estimate.parts)
        group = estimate.runs["group"].events
        assert abs(group_events - group) <= 0.1 * group_events, (case, group_events, estimate.runs)


def test_a_week_long_soak_and_monitoring_checked_every_minute_fit_in_bounded_runs() -> None:
    plan = make_plan(
        services=DECLARED,
        parallel_operation={"duration": "7d", "health_check_interval": "1m"},
        monitoring={"window": "7d"},
    )
    estimate = estimate_history(plan)
    assert history_problems(plan) == []
    assert estimate.total > 100_000, "a week of one-minute rounds is many events, over many runs"
    assert estimate.largest_run <= RUN_EVENT_LIMIT


def test_a_thousand_services_fit() -> None:
    services = [
        {
            "name": f"svc-{i}",
            "workload": f"{'cronjob' if i % 3 == 0 else 'deployment'}/svc-{i}",
            "namespace": "a",
        }
        for i in range(1000)
    ]
    plan = make_plan(services=services, non_exposed={"batch_size": 5, "parallelism": 5})
    assert history_problems(plan) == []
    assert estimate_history(plan).largest_run <= RUN_EVENT_LIMIT


def test_a_traffic_run_larger_than_a_run_may_be_is_refused_with_the_fields_to_change() -> None:
    """1,000 exposed services through ten steps: the groups' reports alone pass 10 MB."""
    exposed = [
        {"name": f"web-{i}", "workload": f"deployment/web-{i}", "namespace": "web", "exposure": "exposed"}
        for i in range(1000)
    ]
    steps = {"steps": list(range(10, 101, 10)), "bake": "30m"}
    problems = history_problems(make_plan(services=exposed, traffic=steps, gates={"require": []}))
    assert len(problems) == 1 and problems[0].startswith("services: one workflow run of the migration")
    assert problems[0].endswith("split the services into several plans, or use fewer traffic steps")


def test_a_plan_whose_state_between_runs_outgrows_a_payload_is_refused() -> None:
    """A thousand services with the longest names Kubernetes allows: what one run hands the next (the
    plan, what discovery found, the undo set) would pass 512 KB."""
    long = "x" * 50
    services = [
        {"name": f"{long}-{i}", "workload": f"deployment/{long}-{i}", "namespace": long} for i in range(1000)
    ]
    problems = history_problems(make_plan(services=services, gates={"require": []}))
    assert any(
        p.startswith("services: the state one workflow run of the migration hands the next") for p in problems
    )
    assert problems[-1].endswith("a payload may be 512 KB: split the services into several plans")


def test_undeclared_exposure_counts_as_exposed() -> None:
    declared = estimate_history(make_plan(services=DECLARED))
    discovered = estimate_history(make_plan())  # email-worker and checkout left to discovery
    assert discovered.total > declared.total
