"""The history estimate that guards plans matches what a migration really records."""

from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from cutover.models import Outcome
from cutover.plan.history_budget import HISTORY_BUDGET, estimate_history, history_problems
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


async def recorded_events(env: WorkflowEnvironment, tmp_path: Path, **overrides: Any) -> tuple[int, Any]:
    plan = make_plan(services=DECLARED, **overrides)
    async with migration(env, tmp_path, plan) as h:
        result = await h.run_approving_all()
        history = await h.handle.fetch_history()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    return len(history.events), estimate_history(plan)


async def test_estimate_matches_a_recorded_migration(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    for case, overrides in {
        "short loops": {},
        "long loops": {
            "parallel_operation": {"duration": "12h", "health_check_interval": "15m"},
            "monitoring": {"window": "6h", "check_interval": "10m"},
        },
    }.items():
        events, estimate = await recorded_events(time_skipping_env, tmp_path / case, **overrides)
        without_rollback = estimate.total - estimate.parts["rollback"]
        assert abs(events - without_rollback) <= 0.05 * events, (case, events, estimate.parts)
        assert events <= estimate.total


def test_a_week_long_bake_checked_every_minute_is_refused() -> None:
    plan = make_plan(services=DECLARED, parallel_operation={"duration": "7d", "health_check_interval": "1m"})
    problems = history_problems(plan)
    assert len(problems) == 1
    assert problems[0].startswith("parallel_operation: the migration would record about ")
    assert "raise parallel_operation.health_check_interval or shorten the duration" in problems[0]
    hourly = make_plan(
        services=DECLARED, parallel_operation={"duration": "7d", "health_check_interval": "1h"}
    )
    assert history_problems(hourly) == [] and estimate_history(hourly).total < HISTORY_BUDGET


def test_undeclared_exposure_counts_as_exposed() -> None:
    declared = estimate_history(make_plan(services=DECLARED))
    discovered = estimate_history(make_plan())  # email-worker and checkout left to discovery
    assert discovered.total > declared.total
