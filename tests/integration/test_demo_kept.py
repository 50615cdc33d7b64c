"""After its migration the demo keeps its servers up until Ctrl-C, and holds its data folder."""

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from cutover.demo.local_servers import free_port, port_open

STATUS_LINE = re.compile(r"^  TEMPORAL_ADDRESS=(\S+) cutover status (\S+)$", re.M)
REPORT_LINE = re.compile(r"^  (TEMPORAL_ADDRESS=\S+ CUTOVER_REPORT_DIR=\S+ cutover report \S+)$", re.M)


def cutover(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cutover.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_kept_demo_serves_status_and_review_until_ctrl_c_and_refuses_a_second_demo(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    data_dir = tmp_path / "demo"
    demo = subprocess.Popen(
        [sys.executable, "-m", "cutover.cli.main", "demo", "--auto-approve", "--keep-servers"]
        + ["--data-dir", str(data_dir), "--port", str(port), "--ui-port", str(ui_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert demo.stdout is not None
        output = ""
        for line in demo.stdout:
            output += line
            if line.startswith("  TEMPORAL_ADDRESS=") and " cutover report " in line:
                break
        assert "outcome: succeeded\n" in output, output
        assert "The servers stay up until Ctrl-C" in output
        assert demo.poll() is None, "the demo ended though asked to keep its servers"
        assert port_open(port) and port_open(ui_port)

        found = STATUS_LINE.search(output)
        assert found, output
        status = cutover("status", found[2], env={"TEMPORAL_ADDRESS": found[1]})
        assert status.returncode == 0, status.stderr
        assert "succeeded" in status.stdout

        report = REPORT_LINE.search(output)
        assert report, output
        words = shlex.split(report[1])
        env = dict(word.split("=", 1) for word in words[:2])
        review = cutover(*words[3:], env=env)
        assert review.returncode == 0, review.stderr
        assert "approved: gate full-cutover" in review.stdout

        second = cutover(
            "demo", "--data-dir", str(data_dir), "--port", str(free_port()), "--ui-port", str(free_port())
        )
        assert second.returncode == 1, second.stdout + second.stderr
        assert second.stderr.strip().splitlines() == [
            f"error: another demo is running in {data_dir} (pid {demo.pid}); stop it, "
            "or give this one its own --data-dir (and --port/--ui-port)"
        ]

        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=120)
        assert demo.returncode == 0, output + rest
        assert "stopped the worker, the moto server and the dev server" in rest
        assert not port_open(port) and not port_open(ui_port)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
