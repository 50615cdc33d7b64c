"""`cutover demo` end to end on a real dev server, as a user would run it."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import free_port


def run_demo(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cutover.cli.main",
            "demo",
            "--auto-approve",
            "--data-dir",
            str(tmp_path / "demo"),
            "--port",
            str(free_port()),
            "--ui-port",
            str(free_port()),
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_auto_approve_runs_to_the_end(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "outcome: succeeded" in result.stdout
    for phase in ("preparation", "non-exposed-migration", "parallel-operation", "validation", "full-cutover"):
        assert f"entered {phase}" in result.stdout
    review = next((tmp_path / "demo" / "reports").glob("*.md")).read_text()
    assert "Outcome: **succeeded**" in review
    assert "demo-approver | approved: gate full-cutover" in review


def test_demo_failure_injection_rolls_back_and_exits_non_zero(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--fail-at-step", "75")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "outcome: rolled-back — analysis at 75% failed for checkout" in result.stdout
    assert "blue serves everything it served before the migration" in result.stdout


def test_interactive_demo_waits_for_the_printed_approve_commands(tmp_path: Path) -> None:
    port = free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cutover.cli.main",
            "demo",
            "--data-dir",
            str(tmp_path / "demo"),
            "--port",
            str(port),
            "--ui-port",
            str(free_port()),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    env = {**os.environ, "TEMPORAL_ADDRESS": f"127.0.0.1:{port}"}
    approved, output = [], []
    assert demo.stdout is not None
    for line in demo.stdout:
        output.append(line)
        if "-> to approve: " in line:
            command = shlex.split(line.split("-> to approve: ", 1)[1])
            assert command[0] == "cutover"
            done = subprocess.run(
                [sys.executable, "-m", "cutover.cli.main", *command[1:]],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            approved.append(command[command.index("--gate") + 1])
    assert demo.wait(timeout=60) == 0, "".join(output)
    assert approved == ["uat", "traffic-25", "full-cutover"]
    assert "outcome: succeeded\n" in output
