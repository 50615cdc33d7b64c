"""The tests' Temporal dev server, as a process this module starts and watches.

The demo uses the SDK's WorkflowEnvironment.start_local. The tests cannot: they restart a server
that died mid-session and show the end of its log in the warning, and start_local hides the
process and sends the server's output to the test process's own stdout.
"""

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cutover.demo.devserver import temporal_binary
from cutover.demo.local_servers import ServerStartError, port_open, refuse_taken_ports
from cutover.workflows.search_attributes import REGISTRATION


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
    refuse_taken_ports(port, ui_port)
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


def log_tail(log: Path, lines: int = 15) -> str:
    """The end of a server's log, for an error message that explains itself without the file."""
    try:
        text = log.read_text(errors="replace").strip()
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_until_ready(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], name: str, log: Path, timeout: float
) -> None:
    """Return once ready() holds; if process dies or time runs out, kill it and say why."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise ServerStartError(f"{name} exited with {process.returncode}; see {log}:\n{log_tail(log)}")
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise ServerStartError(f"{name} was not ready within {timeout:g}s; see {log}:\n{log_tail(log)}")
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """Terminate, and kill if it has not exited within grace seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
