"""`cutover demo` end to end on a real dev server, as a user would run it."""

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
