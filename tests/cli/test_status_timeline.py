"""`cutover status ID --timeline` pages through the whole timeline (the report store's pages and the live
status) and `cutover report ID` reads the stored review, against a real Temporal server; bad paging
options are one error line before anything is contacted."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

# The stand-in workflow below is defined here, so the sandbox imports this module: what it imports
# is passed through, as the real workflows' imports are.
with workflow.unsafe.imports_passed_through():
    from cutover.cli.main import cli
    from cutover.cli.timeline_pages import json_lines, page_lines
    from cutover.journal import Gap
    from cutover.models import TIMELINE_LIMIT, Event, EventKind, MigrationStatus, Phase
    from cutover.platform.local_reports import LocalReportStore
    from tests.test_journal import Migration

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NO_SERVER = ["--address", "127.0.0.1:1"]  # bad input must be refused before any connection


@workflow.defn(name="MigrationWorkflow")
class RecordedMigration:
    """A migration at the status it is given: done ones complete at once (their status query still
    answers, as a finished migration's does), others wait to be terminated."""

    def __init__(self) -> None:
        self._status = MigrationStatus(plan_name="none")

    @workflow.run
    async def run(self, status: MigrationStatus) -> None:
        self._status = status
        await workflow.wait_condition(lambda: self._status.phase == Phase.DONE)

    @workflow.query(name="status")
    def status(self) -> MigrationStatus:
        return self._status


class Cli:
    """`cutover` against the test's server, with the worker's report folder."""

    def __init__(self, env: WorkflowEnvironment, reports: Path):
        self.env = env
        self.reports = reports
        self.queue = f"timeline-{uuid.uuid4()}"
        self.started: list[str] = []

    async def start(self, status: MigrationStatus, workflow_id: str | None = None) -> str:
        handle = await self.env.client.start_workflow(
            RecordedMigration.run,
            status,
            id=workflow_id or f"mig-{uuid.uuid4().hex[:8]}",
            task_queue=self.queue,
        )
        self.started.append(handle.id)
        return handle.id

    async def stop(self) -> None:
        for workflow_id in self.started:
            handle = self.env.client.get_workflow_handle(workflow_id)
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")

    async def __call__(self, *args: str) -> Result:
        address = self.env.client.service_client.config.target_host
        environment = {"CUTOVER_REPORT_DIR": str(self.reports), "CUTOVER_PLATFORM_CONFIG": None}
        # In a thread: the command runs its own event loop while this one runs the worker.
        return await asyncio.to_thread(
            CliRunner().invoke, cli, [*args, "--address", address], env=environment
        )


@pytest.fixture
async def cutover(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Cli]:
    runner = Cli(time_skipping_env, tmp_path / "reports")
    async with Worker(time_skipping_env.client, task_queue=runner.queue, workflows=[RecordedMigration]):
        yield runner
        await runner.stop()


def flushed_migration(store: LocalReportStore, workflow_id: str) -> MigrationStatus:
    """700 events in pages of 100 and 30 more live: the status dropped 230 of them, the store has them."""
    m = Migration()
    for _ in range(7):
        m.record(100)
        store.put_page(workflow_id, m.flush())
    m.record(30)
    assert m.status.timeline_omitted == 730 - TIMELINE_LIMIT
    return m.status


def event(number: int) -> Event:
    return Event(time=NOW, actor="system", kind=EventKind.HEALTH, message=f"event {number}")


def test_a_page_numbers_its_events_marks_a_gap_and_names_the_next() -> None:
    events = [event(n) for n in range(10)]
    lines = page_lines("mig 1", events, [Gap(count=40, at=5)], 4, 3)
    assert lines[0].startswith("     4  12:00:00  health") and lines[0].endswith("event 4")
    assert lines[1] == "  ... 40 events not kept in the status (the history has them)"
    assert [line.split()[0] for line in lines[2:4]] == ["5", "6"]
    assert lines[4] == "3 more: cutover status 'mig 1' --timeline --from 7 --limit 3"
    assert page_lines("m", events, [], 8, 200)[-1].endswith("event 9"), "the last page says no more"
    assert page_lines("m", events, [], 10, 200) == ["no events from 10: the timeline has 10"]
    first = json.loads(json_lines(events, 9, 5)[0])
    assert first["index"] == 9 and first["message"] == "event 9" and first["kind"] == "health"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeline", "--from", "-1"], "error: --from: must be 0 or more (an event's number), got -1"),
        (["--timeline", "--limit", "0"], "error: --limit: must be 1 or more, got 0"),
        (["--from", "3"], "error: --from/--limit: only with --timeline"),
        (["--timeline", "--watch"], "error: --timeline/--watch: one at a time"),
    ],
)
def test_bad_paging_is_one_line_naming_the_option(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["status", "mig", *args, *NO_SERVER])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == message and result.stdout == ""


async def test_the_whole_timeline_page_by_page_after_the_migration_ended(cutover: Cli) -> None:
    store = LocalReportStore(cutover.reports)
    workflow_id = f"mig-{uuid.uuid4().hex[:8]}"
    await cutover.start(
        flushed_migration(store, workflow_id).model_copy(update={"phase": Phase.DONE}), workflow_id
    )

    first = await cutover("status", workflow_id, "--timeline")
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert [line.split()[0] for line in lines[:200]] == [str(n) for n in range(200)]
    assert lines[199].endswith("event 199"), "dropped by the status, read from the store"
    assert lines[200] == f"530 more: cutover status {workflow_id} --timeline --from 200"

    last = await cutover("status", workflow_id, "--timeline", "--from", "650", "--limit", "100")
    assert last.exit_code == 0, last.output
    assert last.stdout.splitlines()[-1].endswith("event 729") and "more:" not in last.stdout

    as_json = await cutover("status", workflow_id, "--timeline", "--from", "100", "--limit", "2", "--json")
    assert [json.loads(line)["message"] for line in as_json.stdout.splitlines()] == ["event 100", "event 101"]
    assert as_json.stderr.strip() == f"628 more: cutover status {workflow_id} --timeline --from 102 --limit 2"


async def test_report_is_the_stored_review_once_done_never_an_earlier_one(cutover: Cli) -> None:
    store = LocalReportStore(cutover.reports)
    workflow_id = await cutover.start(MigrationStatus(plan_name="shop"))
    store.put_review(workflow_id, "# an earlier migration with this id\n")
    store.put_page(workflow_id, Migration().flush())  # and its pages: not counted by this one
    running = await cutover("report", workflow_id)
    assert running.exit_code == 0, running.output
    assert running.stdout.startswith("# Post-release review: shop") and "earlier" not in running.stdout

    done, gone, never = (f"{name}-{uuid.uuid4().hex[:8]}" for name in ("done", "gone", "never"))
    await cutover.start(flushed_migration(store, done).model_copy(update={"phase": Phase.DONE}), done)
    rendered = await cutover("report", done)
    assert "event 100 |" in rendered.stdout, "no review stored yet: rendered from the pages"
    store.put_review(done, "# the review the worker wrote\n")
    assert (await cutover("report", done)).stdout == "# the review the worker wrote\n\n"

    store.put_review(gone, "# kept after Temporal forgot it\n")
    assert (await cutover("report", gone)).stdout == "# kept after Temporal forgot it\n\n"
    missing = await cutover("report", never)
    assert missing.exit_code == 2 and f"migration '{never}' not found" in missing.stderr


async def test_a_store_without_the_pages_warns_and_shows_the_status(cutover: Cli, tmp_path: Path) -> None:
    elsewhere = LocalReportStore(tmp_path / "elsewhere")
    workflow_id = f"mig-{uuid.uuid4().hex[:8]}"
    await cutover.start(flushed_migration(elsewhere, workflow_id), workflow_id)
    result = await cutover("status", workflow_id, "--timeline", "--limit", "1000")
    assert result.exit_code == 0, result.output
    assert "warning: the report store does not hold the 7 journal pages" in result.stderr
    assert "230 events not kept in the status" in result.stdout
    assert len([line for line in result.stdout.splitlines() if line.split()[0].isdigit()]) == TIMELINE_LIMIT
