"""`start` asks the namespace first; `status`, `approve` and `abort` say why a migration does not
answer (no worker, or one that does not answer within --timeout); a wrong namespace is named."""

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import PollWorkflowTaskQueueRequest

from cutover.cli.control_commands import start_migration
from cutover.cli.plan_commands import read_plan
from cutover.demo.devserver import temporal_binary
from cutover.demo.seed import seed
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import one_error_line, wait_for, write_plan


def create_namespace(processes: Processes, name: str) -> None:
    """A namespace created as `temporal operator namespace create` does: with no search attributes."""
    created = subprocess.run(
        [
            temporal_binary(),
            "operator",
            "namespace",
            "create",
            "--address",
            processes.server.address,
            "-n",
            name,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr


def test_start_refuses_a_namespace_without_the_search_attributes(
    processes: Processes, tmp_path: Path
) -> None:
    seed(processes.data_dir / "local-env.json")
    namespace = f"bare-{tmp_path.name}"[:60]
    create_namespace(processes, namespace)
    plan = str(write_plan(tmp_path))
    refused = processes.cutover("start", plan, "--namespace", namespace, "--id", "bare-mig")
    assert refused.returncode == 1, refused.stderr
    line = one_error_line(refused)
    assert (
        f"namespace {namespace} lacks cutover's search attributes "
        "GreenTrafficPercent, MigrationOutcome, MigrationPhase, MigrationPlan; add them with: "
    ) in line
    assert refused.stdout == ""
    assert processes.cutover("status", "bare-mig", "--namespace", namespace).returncode == 2  # not started

    # Started all the same (as from the Web UI), its workflow tasks fail: the status says why.
    processes.env["TEMPORAL_NAMESPACE"] = namespace
    asyncio.run(start_raw(processes, namespace, Path(plan)))
    processes.start_worker()
    failing = until(processes, lambda result: "cannot run: " in result.stderr)
    assert failing.returncode == 1
    lacking = line.removeprefix("error: ")
    assert (
        one_error_line(failing)
        == f"error: bare-mig cannot run: {lacking} (it goes on by itself once they exist)"
    )

    # The command it names is the one that makes the namespace fit, and the migration goes on.
    command = line.split("add them with: ")[1]
    assert command.startswith(f"temporal operator search-attribute create --namespace {namespace} --name ")
    args = command.split()[1:] + ["--address", processes.server.address]
    added = subprocess.run([temporal_binary(), *args], capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    wait_for(processes, "bare-mig", lambda s: s.phase.value != "pending")
    again = processes.cutover("start", plan, "--id", "bare-again")
    assert again.returncode == 2 and "held by other migrations" in again.stderr  # past the namespace check
    asyncio.run(terminate(processes, namespace, "bare-mig"))


async def start_raw(processes: Processes, namespace: str, plan: Path) -> None:
    client = await connect(TemporalSettings(address=processes.server.address, namespace=namespace))
    await start_migration(client, read_plan(str(plan)), "bare-mig", processes.env["CUTOVER_TASK_QUEUE"])


def until(
    processes: Processes, done: Callable[[subprocess.CompletedProcess[str]], bool]
) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + 120
    while not done(result := processes.cutover("status", "bare-mig")):
        assert time.monotonic() < deadline, result.stderr
        time.sleep(0.5)
    return result


async def terminate(processes: Processes, namespace: str, workflow_id: str) -> None:
    client = await connect(TemporalSettings(address=processes.server.address, namespace=namespace))
    await client.get_workflow_handle(workflow_id).terminate("test finished")


def test_no_worker_is_said_at_start_and_by_status_approve_and_abort(
    processes: Processes, tmp_path: Path
) -> None:
    seed(processes.data_dir / "local-env.json")
    plan = str(write_plan(tmp_path))
    queue = processes.env["CUTOVER_TASK_QUEUE"]
    no_worker = f"no worker is polling task queue {queue} (namespace default)"

    required = processes.cutover("start", plan, "--id", "idle", "--require-worker")
    assert required.returncode == 1
    assert one_error_line(required).startswith(f"error: not started (--require-worker): {no_worker}")
    assert processes.cutover("status", "idle").returncode == 2  # nothing started

    started = processes.cutover("start", plan, "--id", "idle", "--json")
    assert started.returncode == 0, started.stderr
    document = json.loads(started.stdout)
    assert document["workflow_id"] == "idle" and document["run_id"]
    assert document["task_queue"] == queue and document["worker_polling"] is False
    assert f"warning: {no_worker}" in started.stderr

    status = processes.cutover("status", "idle", "--timeout", "5")
    assert status.returncode == 1
    assert one_error_line(status).startswith(f"error: migration idle: {no_worker}")
    approve = processes.cutover("approve", "idle", "--gate", "uat", "--as", "alice", "--timeout", "5")
    assert approve.returncode == 1 and no_worker in one_error_line(approve)

    abort = processes.cutover("abort", "idle", "--as", "alice", "--reason", "no worker", "--timeout", "5")
    assert abort.returncode == 1
    assert "idle: abort recorded (as alice)" in abort.stdout
    assert one_error_line(abort).startswith("error: the abort is recorded and acts once a worker runs it;")
    assert no_worker in abort.stderr

    processes.start_worker()  # the recorded abort acts once a worker runs
    final = wait_for(processes, "idle", lambda s: s.phase.value == "done")
    assert final.outcome.value == "rolled-back" and "aborted by alice: no worker" in final.outcome_reason


@pytest.fixture
async def silent_poller(processes: Processes) -> AsyncIterator[None]:
    """Something that polls the test's task queue and never answers: a worker stuck or overloaded."""
    client = await connect(TemporalSettings(address=processes.server.address))
    request = PollWorkflowTaskQueueRequest(
        namespace="default", task_queue=TaskQueue(name=processes.env["CUTOVER_TASK_QUEUE"]), identity="silent"
    )

    async def poll() -> None:
        while True:
            await client.workflow_service.poll_workflow_task_queue(request)

    task = asyncio.create_task(poll())
    yield
    task.cancel()


async def test_a_worker_that_does_not_answer_is_waited_for_timeout_seconds(
    processes: Processes, tmp_path: Path, silent_poller: None
) -> None:
    seed(processes.data_dir / "local-env.json")
    queue = processes.env["CUTOVER_TASK_QUEUE"]
    started = await asyncio.to_thread(processes.cutover, "start", str(write_plan(tmp_path)), "--id", "stuck")
    assert started.returncode == 0, started.stderr
    assert "warning" not in started.stderr  # something polls

    status = await asyncio.to_thread(processes.cutover, "status", "stuck", "--timeout", "2")
    assert status.returncode == 1
    assert one_error_line(status) == (
        f"error: stuck has not answered within 2s; its worker on task queue {queue} is busy or stuck "
        "(see its log), or raise --timeout"
    )
    approve = await asyncio.to_thread(
        processes.cutover, "approve", "stuck", "--gate", "uat", "--as", "alice", "--timeout", "2"
    )
    assert approve.returncode == 1 and "stuck has not answered within 2s" in one_error_line(approve)


def test_a_wrong_namespace_is_named(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    where = f"namespace 'no-such-namespace' does not exist on {processes.server.address}"
    for args in (
        ["start", str(write_plan(tmp_path))],
        ["schedule", "create", str(write_plan(tmp_path)), "--cron", "0 2 * * 6"],
        ["status", "some-migration"],
        ["approve", "some-migration", "--gate", "uat", "--as", "alice"],
        ["abort", "some-migration", "--as", "alice"],
        ["list"],
        ["schedule", "list"],
        ["schedule", "pause", "some-schedule", "--reason", "r"],
    ):
        result = processes.cutover(*args, "--namespace", "no-such-namespace")
        assert result.returncode == 2, (args, result.stderr)
        assert one_error_line(result) == f"error: {where}", args
