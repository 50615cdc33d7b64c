"""Servers the demo runs as child processes on loopback: free ports, start-up wait, clean stop."""

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class ServerStartError(Exception):
    """A server the demo needs did not come up; the message says where its log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on port.

    A connect to an unused port in the ephemeral range can be given that same port as its
    source and connect to itself (TCP self-connect); that is not a listener.
    """
    with socket.socket() as sock:
        sock.settimeout(0.2)
        if sock.connect_ex((host, port)) != 0:
            return False
        return bool(sock.getsockname()[1] != port)


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


def wait_until_listening(
    process: subprocess.Popen[bytes], port: int, name: str, log: Path, timeout: float
) -> None:
    wait_until_ready(process, lambda: port_open(port), f"{name} (port {port})", log, timeout)


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
