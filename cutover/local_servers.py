"""Servers the demo runs as child processes on loopback: free ports, start-up wait, clean stop."""

import socket
import subprocess
import time
from pathlib import Path


class ServerStartError(Exception):
    """A server the demo needs did not come up; the message says where its log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_until_listening(
    process: subprocess.Popen[bytes], port: int, name: str, log: Path, timeout: float
) -> None:
    """Return once port accepts connections; if process dies or time runs out, kill it and say why."""
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if process.poll() is not None:
            raise ServerStartError(f"{name} exited with {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise ServerStartError(f"{name} did not listen on {port} within {timeout:.0f}s; see {log}")
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
