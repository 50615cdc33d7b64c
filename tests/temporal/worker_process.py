"""A real `python -m cutover.worker` process with its health endpoint, for the worker's lifecycle tests."""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cutover.demo.local_servers import free_port

WAIT_LIMIT_S = 180.0  # a worker's first import on a busy 2-core machine can take tens of seconds


class WorkerProcess:
    def __init__(self, env: dict[str, str], folder: Path, *args: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.health_port = free_port()
        self.stderr_path = folder / f"worker-{self.health_port}.stderr"
        self.stdout_path = folder / f"worker-{self.health_port}.stdout"
        with open(self.stderr_path, "wb") as stderr, open(self.stdout_path, "wb") as stdout:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cutover.worker", "--health-port", str(self.health_port), *args],
                env=env,
                stdout=stdout,
                stderr=stderr,
                cwd=folder,
            )

    def health(self, path: str) -> tuple[int, str] | None:
        """(status, body) of GET path, or None while nothing answers."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}{path}", timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return None

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def logs(self) -> list[dict[str, Any]]:
        """Every stderr line as JSON (a line that is not JSON fails the caller here)."""
        return [json.loads(line) for line in self.stderr().splitlines()]

    def wait_for(self, condition: Callable[[], bool], what: str, limit: float = WAIT_LIMIT_S) -> None:
        deadline = time.monotonic() + limit
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"worker exited ({self.process.returncode}) before {what}:\n{self.stderr()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"not {what} within {limit:g}s:\n{self.stderr()[-4000:]}")
            time.sleep(0.2)

    def wait_ready(self) -> None:
        self.wait_for(lambda: (self.health("/readyz") or (0, ""))[0] == 200, "ready")

    def stop(self, sig: int = signal.SIGTERM, limit: float = 120) -> int:
        """Send sig and wait for the exit code (killing the process if it does not exit)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"worker did not exit within {limit}s of signal {sig}") from None
        return self.process.returncode

    def assert_clean_exit(self, code: int) -> None:
        """Exit 0, no fatal error from the interpreter, every stderr line JSON (no ANSI core lines)."""
        text = self.stderr()
        assert code == 0, text[-4000:]
        assert "Fatal Python error" not in text, text[-4000:]
        assert "\x1b[" not in text, text[-4000:]
        logs = self.logs()
        assert logs and logs[-1]["event"] == "worker stopped", logs[-3:]
