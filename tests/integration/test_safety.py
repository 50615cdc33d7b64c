"""The safety promise on the dev server: one owner per workload, no second hand-over, honest exit codes,
and a flood of huge signals that ends in a rollback instead of Temporal cutting the migration off."""

import asyncio
import json
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import RawValue
from temporalio.service import RPCError

from cutover.demo.seed import seed
from cutover.leases import WorkloadKey
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from cutover.workflows.migration import MigrationWorkflow
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import one_error_line, wait_for, write_plan

CHECKOUT_ONLY = [{"name": "checkout", "workload": "deployment/checkout", "namespace": "shop"}]


def test_one_owner_per_workload_until_its_migration_is_terminated(
    processes: Processes, tmp_path: Path
) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    first = processes.cutover("start", str(write_plan(tmp_path)), "--id", "owner")
    assert first.returncode == 0, first.stderr
    wait_for(processes, "owner", lambda s: s.open_gate is not None)

    (tmp_path / "second").mkdir()
    second_plan = write_plan(tmp_path / "second", name="checkout-again", services=CHECKOUT_ONLY)
    refused = processes.cutover("start", str(second_plan), "--id", "intruder")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines()[0] == (
        "error: workloads of the plan are held by other migrations (2 problem(s)):"
    )
    for env in ("eks", "eks-fargate"):
        assert f"deployment/checkout in namespace shop of {env} is held by migration owner" in refused.stderr
    assert processes.cutover("status", "intruder").returncode == 2, "nothing was started"
    scheduled = processes.cutover(
        "schedule", "create", str(second_plan), "--cron", "0 2 * * 6", "--id", "later"
    )
    assert scheduled.returncode == 2 and "is held by migration owner" in scheduled.stderr
    assert "later" not in processes.cutover("schedule", "list").stdout, "nothing was scheduled"

    async def terminate_owner() -> None:
        client = await connect(TemporalSettings(address=processes.server.address))
        await client.get_workflow_handle("owner").terminate("a human ends it")

    asyncio.run(terminate_owner())
    # Terminated by hand, the owner gave nothing back: its leases run on, but hold nothing (the next
    # migration's keeper takes them), and its green copy stays, which nobody takes over.
    after = processes.cutover("start", str(second_plan), "--id", "intruder")
    assert after.returncode == 2
    assert "is held by migration owner" not in after.stderr, "a terminated migration still holds"
    assert "checkout: deployment/checkout already runs in namespace 'shop' of eks-fargate" in after.stderr


def test_a_plan_that_already_ran_is_refused_at_start(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    plan = str(write_plan(tmp_path, gates={"require": []}))
    assert processes.cutover("start", plan, "--id", "first-run").returncode == 0
    watched = processes.cutover("status", "first-run", "--watch", "--interval", "0.3", timeout=300)
    assert watched.returncode == 0 and "finished: succeeded" in watched.stdout, watched.stdout
    again = processes.cutover("start", plan, "--id", "second-run")
    assert again.returncode == 2
    assert (
        "nightly-invoices: cronjob/nightly-invoices already runs in namespace 'billing' of eks-fargate"
        in (again.stderr)
    )
    assert processes.cutover("status", "second-run").returncode == 2, "nothing was started"


def test_exit_codes_say_what_happened(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    assert processes.cutover("start", str(write_plan(tmp_path)), "--id", "codes").returncode == 0
    wait_for(processes, "codes", lambda s: s.open_gate is not None)

    empty = processes.cutover("approve", "codes", "--gate", "uat", "--as", "")
    assert empty.returncode == 2
    assert one_error_line(empty) == "error: --as: String should have at least 1 character"
    assert len(empty.stderr.strip().splitlines()) == 1
    long = processes.cutover("approve", "codes", "--gate", "uat", "--as", "alice", "--comment", "x" * 5000)
    assert long.returncode == 2 and one_error_line(long).startswith(
        "error: --comment: String should have at most"
    )

    refused = processes.cutover("approve", "codes", "--gate", "uat", "--as", "mallory")
    assert refused.returncode == 3, refused.stderr
    assert (
        one_error_line(refused)
        == "error: codes refused it: approve of uat refused: 'mallory' is not an approver"
    )

    paused = processes.cutover("pause", "codes", "--as", "carol")
    assert paused.returncode == 0 and "paused" in paused.stdout
    again = processes.cutover("pause", "codes", "--as", "carol")
    assert again.returncode == 0 and "already paused" in again.stdout
    assert processes.cutover("resume", "codes", "--as", "carol").returncode == 0

    not_a_migration = processes.cutover(
        "status", WorkloadKey("eks", "shop", "deployment", "checkout").lease_id
    )
    assert not_a_migration.returncode == 1, not_a_migration.stderr
    assert "cannot answer" in one_error_line(not_a_migration)
    assert "Traceback" not in not_a_migration.stderr
    refused_by_server = processes.cutover("schedule", "list", "--namespace", "no-such-namespace")
    assert refused_by_server.returncode == 2, refused_by_server.stderr
    assert one_error_line(refused_by_server) == (
        f"error: namespace 'no-such-namespace' does not exist on {processes.server.address}"
    )
    assert len(refused_by_server.stderr.strip().splitlines()) == 1

    aborted = processes.cutover("abort", "codes", "--as", "carol", "--reason", "exit codes")
    assert aborted.returncode == 0, aborted.stderr
    assert "abort recorded" in aborted.stdout and "rollback started" in aborted.stdout
    watched = processes.cutover("status", "codes", "--watch", "--interval", "0.3", timeout=300)
    assert watched.returncode == 1 and "finished: rolled-back" in watched.stdout


def test_abort_no_wait_returns_once_recorded(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    assert processes.cutover("start", str(write_plan(tmp_path)), "--id", "quick").returncode == 0
    wait_for(processes, "quick", lambda s: s.open_gate is not None)
    aborted = processes.cutover("abort", "quick", "--as", "carol", "--no-wait")
    assert aborted.returncode == 0, aborted.stderr
    assert "abort recorded" in aborted.stdout and "rollback started" not in aborted.stdout
    final = wait_for(processes, "quick", lambda s: s.phase.value == "done", limit=300)
    assert final.outcome.value == "rolled-back"


def test_a_flood_of_huge_signals_ends_in_a_rollback_not_a_cut_off(
    processes: Processes, tmp_path: Path
) -> None:
    """1.9 MB senders, 28 times, once got a migration terminated by Temporal with no rollback, no review.

    The flood is paced (each signal is sent once the last one was recorded), as a script or a person
    repeating `temporal workflow signal` would send it; see the README for an unpaced flood.
    """
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    assert processes.cutover("start", str(write_plan(tmp_path)), "--id", "flooded").returncode == 0
    wait_for(processes, "flooded", lambda s: s.open_gate is not None)
    huge = json.dumps({"gate": "uat", "sender": "x" * 1_900_000}).encode()

    async def flood() -> int:
        client = await connect(TemporalSettings(address=processes.server.address))
        raw_handle = Client(client.service_client, namespace="default").get_workflow_handle("flooded")
        handle = client.get_workflow_handle("flooded")
        for sent in range(28):
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                return sent
            recorded = (await handle.query(MigrationWorkflow.status)).events_recorded
            try:
                await raw_handle.signal(
                    "approve", RawValue(Payload(metadata={"encoding": b"json/plain"}, data=huge))
                )
            except RPCError:  # it finished its rollback between the look and the signal
                return sent
            while (await handle.query(MigrationWorkflow.status)).events_recorded == recorded:
                if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                    return sent + 1
                await asyncio.sleep(0.05)
        return 28

    sent = asyncio.run(flood())
    final = wait_for(processes, "flooded", lambda s: s.phase.value == "done")
    assert final.outcome.value == "rolled-back", final.outcome_reason
    assert "history is nearly full" in final.outcome_reason
    assert 4 <= sent < 28, "the guard rolled back past 8 MB, far below Temporal's limit"
    assert final.report_path and Path(final.report_path).is_file()
    assert len(final.model_dump_json()) < 1_000_000
