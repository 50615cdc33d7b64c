"""The Web UI as a console: what it lists, preselects and shows for a migration and its helpers.

The UI's Queries tab lists the `__temporal_workflow_metadata` query's definitions sorted by name, the
`__` ones last and `__stack_trace` left out, and preselects the first (temporalio/ui,
src/lib/pages/workflow-query.svelte); UI_ORDER below is that rule.
"""

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.seed import seed
from cutover.leases import keeper_id, planned_workloads
from cutover.models import Event, EventKind, MigrationStatus, Outcome
from cutover.plan.pattern_words import PATTERN_WORDS
from cutover.platform.local_reports import LocalReportStore
from cutover.worker import build_worker
from cutover.workflows.search_attributes import MIGRATION_OUTCOME
from cutover.workflows.ui_queries import METADATA_QUERY, REVIEW_MAX, REVIEW_QUERY, review_text
from tests.workflows.helpers import make_plan, migration
from tests.workflows.support import signal
from tests.workflows.test_bad_inputs import PLAN_JSON, ui_client


def ui_order(metadata: WorkflowMetadata) -> list[str]:
    """The queries as the Web UI lists them."""
    names = [q.name for q in metadata.definition.query_definitions if q.name != "__stack_trace"]
    return sorted(names, key=lambda name: (name.startswith("__"), name))


async def test_status_is_the_query_the_ui_preselects(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """On a server of its own: the migration is left waiting at its gate."""
    async with migration(own_time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        metadata = await h.handle.query(METADATA_QUERY, result_type=WorkflowMetadata)
        listed = ui_order(metadata)
        assert listed[0] == "status", listed
        assert REVIEW_QUERY in listed and "decision_refusal" not in listed, listed
        described = {q.name: q.description for q in metadata.definition.query_definitions}
        assert all(described[name] for name in listed if not name.startswith("__")), described
        assert "Waiting for approval" in metadata.current_details, "the SDK's answer is kept whole"
        # Unlisted, it still answers 0.6's CLI by name.
        refusal = await h.handle.query("decision_refusal", {"gate": "uat", "sender": "mallory"})
        assert refusal["kind"] == "not-an-approver", refusal
        review = await h.handle.query(REVIEW_QUERY, result_type=str)
    assert review.startswith("# Post-release review: shop-to-fargate"), review[:200]
    assert "| phase | cutover | entered preparation |" in review, review


def test_a_long_review_is_cut_with_where_the_full_one_is() -> None:
    events = [
        Event(time=datetime(2026, 12, 1), actor="cutover", kind=EventKind.UNDO, message="x" * 900)
        for _ in range(200)
    ]
    status = MigrationStatus(plan_name="big", timeline=events, report_path="s3://reviews/big.md")
    text = review_text("cutover-big", status)
    assert len(text.encode()) <= REVIEW_MAX
    assert text.rstrip().endswith("truncated at 60 KiB; the full review: s3://reviews/big.md"), text[-200:]
    short = review_text("cutover-small", MigrationStatus(plan_name="small"))
    assert "truncated" not in short and short.startswith("# Post-release review: small")
    assert "`cutover report cutover-small`" not in short, "the location is said only when cut"


async def test_a_rolled_back_migration_says_so_first(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Its close status stays Completed (callers read the result); the details and the Workflows
    list's MigrationOutcome say it is no success."""
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        await signal(h, "abort", "carol", "checkout errors")
        result = await h.handle.result()
        metadata = await h.handle.query(METADATA_QUERY, result_type=WorkflowMetadata)
        described = await h.handle.describe()
    assert result.outcome == Outcome.ROLLED_BACK
    assert described.status == WorkflowExecutionStatus.COMPLETED
    assert described.typed_search_attributes.get(MIGRATION_OUTCOME) == "rolled-back"
    first = metadata.current_details.splitlines()[0]
    assert first.startswith("**ROLLED BACK: aborted by carol: checkout errors**"), metadata.current_details


async def test_helper_workflows_say_what_they_are_and_whom_they_serve(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Left mid-bake (its analysis group running), hence a server of its own."""
    time_skipping_env = own_time_skipping_env
    plan = make_plan()
    async with migration(time_skipping_env, tmp_path, plan) as h:
        await h.at_gate("uat")
        await h.approve("uat")
        await h.at_gate("traffic-25")
        client = time_skipping_env.client
        migration_id = h.handle.id
        keeper = await client.get_workflow_handle(keeper_id(migration_id, "target")).describe()
        lease_key = planned_workloads(plan, plan.target.name)[0]
        lease = await client.get_workflow_handle(lease_key.lease_id).describe()
        service = await client.get_workflow_handle(f"{migration_id}/email-worker").describe()
        group = await client.get_workflow_handle(f"{migration_id}/analysis-0").describe()
        summaries = {
            "keeper": await keeper.static_summary(),
            "lease": await lease.static_summary(),
            "service": await service.static_summary(),
            "group": await group.static_summary(),
        }
    assert summaries["lease"] == (
        f"lease held for {migration_id}: {lease_key.kind}/{lease_key.name} in {lease_key.namespace} "
        f"of {lease_key.env}; not a migration"
    )
    assert summaries["keeper"] == (
        f"lease keeper for {migration_id}: holds its 5 workload(s) in {plan.target.name}; not a migration"
    )
    assert summaries["service"] == (
        f"moves deployment/email-worker (email-worker) to green {plan.target.name} for {migration_id}"
    )
    assert summaries["group"] == (
        f"analysis group 0 of {migration_id}: judges green against blue for 2 service(s) at every look"
    )


async def invalid_plan_failure(env: WorkflowEnvironment, tmp_path: Path, plan: dict[str, Any]) -> Any:
    """Start the plan as the Web UI does; the failure its WorkflowExecutionFailed event records."""
    local = seed(tmp_path / "local-env.json")
    queue = f"ui-{uuid.uuid4()}"
    reports = tmp_path / "reports"
    activities = MigrationActivities(local, local, local, reports, LocalReportStore(reports))
    async with build_worker(env.client, queue, activities):
        handle = await ui_client(env).start_workflow(
            "MigrationWorkflow", plan, id=f"ui-{uuid.uuid4()}", task_queue=queue
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    failures = [
        event.workflow_execution_failed_event_attributes.failure
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    ]
    assert len(failures) == 1
    return failures[0]


@pytest.mark.parametrize(
    ("plan", "wording"),
    [
        (
            {**PLAN_JSON, "name": "Shop To Fargate"},
            "the plan is invalid (1 problem(s)): name: must be a DNS label: lowercase letters, digits "
            "and '-', starting and ending with a letter or digit",
        ),
        (
            {**PLAN_JSON, "traffic": {"steps": [5, 2, 100]}},
            "(1 problem(s)): traffic.steps: weights must strictly increase, got [5, 2, 100]",
        ),
        (
            {**PLAN_JSON, "uat": {"route": {"header": "X Cutover", "value": "green"}}},
            "uat.route.header: must be an HTTP token: letters, digits and !#$%&'*+-.^_`|~, no spaces",
        ),
    ],
)
async def test_an_invalid_plan_fails_in_words_without_a_stack_trace(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, plan: dict[str, Any], wording: str
) -> None:
    failure = await invalid_plan_failure(time_skipping_env, tmp_path, plan)
    assert failure.application_failure_info.type == "InvalidPlan"
    assert wording in failure.message, failure.message
    assert "should match pattern" not in failure.message, failure.message
    assert not [pattern for pattern in PATTERN_WORDS if pattern in failure.message], failure.message
    assert failure.stack_trace == ""
