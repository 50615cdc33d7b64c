"""The worker serves Prometheus metrics when asked to."""

import time
import urllib.request
from pathlib import Path

from cutover.demo.local_servers import free_port
from cutover.demo.seed import seed
from tests.integration.conftest import Processes


def test_worker_serves_prometheus_metrics(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    port = free_port()
    processes.start_worker("--metrics-port", str(port))
    deadline = time.monotonic() + 30
    while True:
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    assert "temporal_" in body
