"""With no platform config and no local environment, the CLI's hint names what works: the hint once
said "run `cutover demo` first", but the demo keeps its environment in its own folder."""

import os
import subprocess
import sys
from pathlib import Path

from cutover.demo.seed import BLUE, seed


def cutover(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    environment |= {"CUTOVER_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(
        [sys.executable, "-m", "cutover.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=tmp_path,
    )


def test_the_hint_names_the_local_environment_and_following_it_works(tmp_path: Path) -> None:
    refused = cutover(tmp_path, "discover", "--env", BLUE, "--namespace", "shop")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "CUTOVER_LOCAL_STATE=.cutover/demo/local-env.json" in refused.stderr
    assert "`cutover local init PLAN`" in refused.stderr
    demo_state = tmp_path / ".cutover" / "demo" / "local-env.json"
    demo_state.parent.mkdir(parents=True)
    seed(demo_state)
    found = cutover(
        tmp_path, "discover", "--env", BLUE, "--namespace", "shop", CUTOVER_LOCAL_STATE=str(demo_state)
    )
    assert found.returncode == 0, found.stdout + found.stderr
    assert "deployment/checkout" in found.stdout
