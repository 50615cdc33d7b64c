"""What the Web UI's Queries tab offers a migration: `status` first, and the review readable there.

The Web UI lists a workflow's queries from the `__temporal_workflow_metadata` query, sorted by name
(the `__` ones last, `__stack_trace` left out), and preselects the first. `decision_refusal` (kept
for 0.6's CLI until 0.9) would come first and answer "bad-input" to the UI's Run, which sends no
input. So the migration answers the metadata query itself: the SDK's own answer without the queries
only old CLIs call, which still answer by name. The review's query is named to sort after `status`.
"""

from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.api.sdk.v1 import WorkflowMetadata

    from cutover.models import MigrationStatus
    from cutover.report import render_review

METADATA_QUERY = "__temporal_workflow_metadata"
REVIEW_QUERY = "status_review"  # after `status` in the UI's order; `review` would come before it
REVIEW_MAX = 60 * 1024  # bytes of the query's answer, well inside a query result's limit
REVIEW_HELP = (
    "The post-release review as it stands, as Markdown (turn the UI's JSON formatting off to read it): "
    f"decisions, analysis per step, timeline, checks, rollbacks. At most {REVIEW_MAX // 1024} KiB; the "
    "full review is the one the migration writes when it ends (`cutover report ID`). No input."
)


def list_queries_without(unlisted: frozenset[str]) -> None:
    """From now on the metadata query leaves out `unlisted` (called from the workflow's __init__; it
    adds no command, so replay is unchanged)."""
    builtin: Callable[[], Any] | None = workflow.get_query_handler(METADATA_QUERY)
    if builtin is None:
        return

    def listed() -> Any:
        metadata = builtin()
        if not isinstance(metadata, WorkflowMetadata):
            return metadata
        queries = metadata.definition.query_definitions
        kept = [q for q in queries if q.name not in unlisted]
        del queries[:]
        queries.extend(kept)
        return metadata

    workflow.set_query_handler(METADATA_QUERY, listed)


def review_text(workflow_id: str, status: MigrationStatus) -> str:
    """The review rendered from the status (the events it keeps), cut to REVIEW_MAX with a line saying
    where the full one is. Never raises: a query that fails shows the UI an error, not the review."""
    where = status.report_path or f"`cutover report {workflow_id}` (written when the migration ends)"
    try:
        text = render_review(workflow_id, status)
    except Exception as error:  # any rendering failure: one line saying so, never a failed query
        return f"The review could not be rendered here ({type(error).__name__}); the full review: {where}"
    data = text.encode()
    if len(data) <= REVIEW_MAX:
        return text
    note = f"\n\n… truncated at {REVIEW_MAX // 1024} KiB; the full review: {where}\n"
    head = data[: REVIEW_MAX - len(note.encode())].decode(errors="ignore")
    return head + note
