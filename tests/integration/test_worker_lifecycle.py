"""The worker as Kubernetes runs it: started before Temporal, probed, stopped with SIGTERM."""

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cutover.demo.local_servers import free_port
from tests.dev_server_process import DevServer, start_dev_server
from tests.integration.conftest import SessionDevServer
from tests.temporal.worker_process import WorkerProcess


def worker_env(data_dir: Path, address: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TEMPORAL_")}
    return env | {
        "TEMPORAL_ADDRESS": address,
        "CUTOVER_LOCAL_STATE": str(data_dir / "local-env.json"),
        "CUTOVER_REPORT_DIR": str(data_dir / "reports"),
        "CUTOVER_TASK_QUEUE": f"q-{data_dir.name}",
    }


def failures(worker: WorkerProcess) -> list[dict[str, Any]]:
    return [line for line in worker.logs() if line["event"] == "worker failed, starting again"]


def retries(worker: WorkerProcess) -> list[dict[str, Any]]:
    return [line for line in worker.logs() if line["event"] == "temporal unreachable, retrying"]


@pytest.fixture
def late_server(tmp_path: Path) -> Iterator[list[DevServer]]:
    servers: list[DevServer] = []
    yield servers
    for server in servers:
        server.stop()


def test_worker_started_before_temporal_waits_then_serves(
    tmp_path: Path, late_server: list[DevServer]
) -> None:
    port, ui_port = free_port(), free_port()
    worker = WorkerProcess(worker_env(tmp_path, f"127.0.0.1:{port}"), tmp_path / "worker")
    try:
        worker.wait_for(lambda: len(retries(worker)) >= 2, "retrying twice")
        assert worker.health("/livez") == (200, "ok\n")
        status, reason = worker.health("/readyz") or (0, "")
        assert status == 503 and reason.startswith("Temporal unreachable (attempt"), (status, reason)
        first, second = retries(worker)[:2]
        assert (first["attempt"], second["attempt"]) == (1, 2)
        assert second["retry_in_s"] == 2 * first["retry_in_s"]  # the backoff grows
        assert f"cannot reach Temporal at 127.0.0.1:{port}" in first["error"]

        late_server.append(start_dev_server(tmp_path / "temporal", port, ui_port))
        worker.wait_ready()
        assert worker.health("/readyz") == (200, "polling\n")
        assert any(line["event"] == "worker polling" for line in worker.logs())
    finally:
        code = worker.stop()
    worker.assert_clean_exit(code)


def test_sigterm_while_waiting_for_temporal_exits_at_once(tmp_path: Path) -> None:
    worker = WorkerProcess(worker_env(tmp_path, f"127.0.0.1:{free_port()}"), tmp_path / "worker")
    worker.wait_for(lambda: (worker.health("/readyz") or (0, ""))[0] == 503, "answering 503")
    worker.assert_clean_exit(worker.stop())


@pytest.mark.parametrize("attempt", range(4))
def test_sigterm_stops_a_polling_worker_cleanly(
    session_dev_server: SessionDevServer, tmp_path: Path, attempt: int
) -> None:
    """Repeated: a finalising interpreter used to abort in about 1 run of 3 (PyGILState_Release, 134)."""
    worker = WorkerProcess(worker_env(tmp_path, session_dev_server.running().address), tmp_path / "worker")
    worker.wait_ready()
    worker.assert_clean_exit(worker.stop(signal.SIGINT if attempt == 3 else signal.SIGTERM))
    assert worker.stdout_path.read_text() == ""


def test_bad_settings_are_one_json_line_and_a_failed_exit(tmp_path: Path) -> None:
    env = worker_env(tmp_path, "127.0.0.1:7233") | {
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "gone.pem")
    }
    worker = WorkerProcess(env, tmp_path / "worker")
    assert worker.process.wait(timeout=180) == 1
    (line,) = worker.logs()
    assert line["event"] == f"error: TEMPORAL_TLS_CLIENT_CERT_PATH: {tmp_path / 'gone.pem'} not found"
    assert "Fatal Python error" not in worker.stderr()


def test_temporal_going_away_is_logged_as_json_and_sigterm_still_exits_cleanly(
    tmp_path: Path, late_server: list[DevServer]
) -> None:
    """The SDK's Rust core reports failing polls itself: those lines were its coloured text among the JSON."""
    server = start_dev_server(tmp_path / "temporal", free_port(), free_port())
    late_server.append(server)
    worker = WorkerProcess(worker_env(tmp_path, server.address), tmp_path / "worker")
    worker.wait_ready()
    server.stop()
    worker.wait_for(
        lambda: any(line.get("logger", "").startswith("temporalio.core") for line in worker.logs()),
        "the core's own warning",
    )
    worker.assert_clean_exit(worker.stop())


def test_a_namespace_that_is_not_there_is_retried_not_spun(
    session_dev_server: SessionDevServer, tmp_path: Path
) -> None:
    env = worker_env(tmp_path, session_dev_server.running().address) | {
        "TEMPORAL_NAMESPACE": "no-such-namespace"
    }
    worker = WorkerProcess(env, tmp_path / "worker")
    try:
        worker.wait_for(lambda: len(failures(worker)) >= 3, "failing three times")
        first, second, third = failures(worker)[:3]
        assert "no-such-namespace" in first["error"], first
        assert [first["retry_in_s"], second["retry_in_s"], third["retry_in_s"]] == [1.0, 2.0, 4.0]
        status, reason = worker.health("/readyz") or (0, "")
        assert status == 503 and "no-such-namespace" in reason, (status, reason)
    finally:
        code = worker.stop()
    worker.assert_clean_exit(code)
