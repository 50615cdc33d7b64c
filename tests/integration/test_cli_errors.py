"""Bad input on the command line: one clear line, non-zero exit, nothing started."""

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from cutover.demo.local_servers import free_port
from cutover.demo.seed import seed
from cutover.models import MigrationStatus
from tests.integration.conftest import Processes

EXAMPLE = Path(__file__).parents[2] / "examples" / "shop-migration.yaml"


def write_plan(folder: Path, **changes: object) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["checks"], data["notify"]  # the shop's own endpoints, and destinations this worker has not
    data.update(changes)
    if "uat" not in data["gates"]["require"]:
        del data["uat"]  # the testers' route is open while the uat gate is
    data["traffic"]["bake"] = "1s"
    data["parallel_operation"] = {"duration": "2s", "health_check_interval": "1s"}
    data["monitoring"] = {"window": "1s"}
    data["analysis"] |= {"interval": "1s", "min_requests": 1}  # 2 green requests at 2% in 1 s
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_validate_good_plan_prints_summary(processes: Processes) -> None:
    result = processes.cutover("plan", "validate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert "plan 'shop-to-fargate' is valid" in result.stdout


def test_validate_lists_every_problem_with_exit_2(processes: Processes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("[2, 25, 75, 100]", "[2, 75, 25, 120]"))
    result = processes.cutover("plan", "validate", str(bad))
    assert result.returncode == 2
    assert "traffic.steps: weight 120 is outside 1..100" in result.stderr


def test_missing_and_malformed_plan_files(processes: Processes, tmp_path: Path) -> None:
    assert "file not found" in one_error_line(processes.cutover("plan", "validate", "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: {unclosed\n")
    result = processes.cutover("start", str(broken))
    assert result.returncode == 2
    assert "malformed yaml" in one_error_line(result)


def test_plan_show_lists_batches_weights_bakes_and_gates(processes: Processes) -> None:
    seed(processes.data_dir / "local-env.json")
    result = processes.cutover("plan", "show", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "non-exposed batch 1/2 (up to 1 at once): nightly-invoices" in out
    assert "non-exposed batch 2/2 (up to 1 at once): email-worker" in out
    assert out.index("set 2% green") < out.index("set 25% green") < out.index("set 75% green")
    assert "gate traffic-25: wait for approval by one of alice, bob" in out
    assert "gate traffic-2: no approval required" in out


def test_unknown_service_is_refused_before_starting(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    plan = write_plan(
        tmp_path, services=[{"name": "payments", "workload": "deployment/payments", "namespace": "shop"}]
    )
    result = processes.cutover("start", str(plan))
    assert result.returncode == 2
    assert "unknown service 'payments'" in one_error_line(result)
    listing = processes.cutover("status", "cutover-shop-to-fargate")
    assert listing.returncode == 2 and "not found" in listing.stderr


def test_no_temporal_server_is_one_line(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{free_port()}"
    result = processes.cutover("start", str(write_plan(tmp_path)))
    assert result.returncode == 1
    assert "cannot reach Temporal" in one_error_line(result)


def test_signals_checked_against_the_running_migration(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    processes.start_worker()
    started = processes.cutover("start", str(write_plan(tmp_path)), "--id", "mig-signals")
    assert started.returncode == 0, started.stderr
    status = wait_for(processes, "mig-signals", lambda s: s.open_gate is not None)
    assert status.open_gate and status.open_gate.name == "uat"

    wrong = processes.cutover("approve", "mig-signals", "--gate", "traffic-25", "--as", "alice")
    assert wrong.returncode == 2 and "gate 'traffic-25' is not open" in one_error_line(wrong)

    unknown = processes.cutover("approve", "mig-signals", "--gate", "canary", "--as", "alice")
    assert unknown.returncode == 2
    assert "unknown gate 'canary'; the gates of mig-signals are uat, traffic-2, traffic-25" in unknown.stderr

    ok = processes.cutover("abort", "mig-signals", "--as", "alice", "--reason", "test")
    assert ok.returncode == 0, ok.stderr
    final = wait_for(processes, "mig-signals", lambda s: s.phase.value == "done")
    assert final.outcome.value == "rolled-back"
    assert "aborted by alice: test" in final.outcome_reason

    late = processes.cutover("approve", "mig-signals", "--gate", "uat", "--as", "alice")
    assert late.returncode == 2 and "has finished (completed)" in one_error_line(late)
    report = processes.cutover("report", "mig-signals")
    assert "Outcome: **rolled-back**" in report.stdout


def wait_for(
    processes: Processes,
    workflow_id: str,
    predicate: Callable[[MigrationStatus], bool],
    limit: float = 180,
) -> MigrationStatus:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        result = processes.cutover("status", workflow_id, "--json")
        if result.returncode == 0:
            status = MigrationStatus.model_validate_json(result.stdout)
            if predicate(status):
                return status
        time.sleep(0.5)
    raise AssertionError(f"{workflow_id} never reached the condition")


def test_worker_refuses_a_missing_platform_config(processes: Processes) -> None:
    processes.env["CUTOVER_PLATFORM_CONFIG"] = str(processes.data_dir / "nope.yaml")
    worker = processes.start_worker()
    assert worker.wait(timeout=30) == 1
    log = (processes.data_dir / "worker.log").read_text()
    assert "error: " in log and "nope.yaml: platform config file not found" in log
