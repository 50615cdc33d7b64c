"""The CLI and a worker on the local platform start without loading the Kubernetes or AWS clients.

Each check runs in a fresh interpreter: the test process itself has long imported them all.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("kubernetes", "boto3", "botocore", "moto")
LOADED = f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"


def loaded_after(code: str, tmp_path: Path) -> list[str]:
    """The Kubernetes/AWS/moto modules a fresh interpreter has loaded after running code."""
    env = {k: v for k, v in os.environ.items() if k != "CUTOVER_PLATFORM_CONFIG"}  # the local platform
    env |= {"CUTOVER_LOCAL_STATE": str(tmp_path / "local-env.json"), "CUTOVER_REPORT_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; {code}; {LOADED}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("module", ["cutover.cli.main", "cutover.worker"])
def test_importing_loads_no_kubernetes_or_aws_client(module: str, tmp_path: Path) -> None:
    assert loaded_after(f"import {module}", tmp_path) == []


def test_a_worker_on_the_local_platform_loads_no_kubernetes_or_aws_client(tmp_path: Path) -> None:
    """What the worker builds on start-up with no platform config: every role is the local environment."""
    code = "from cutover.worker import configured_activities; configured_activities()"
    assert loaded_after(code, tmp_path) == []
