"""The migration's own metrics, as a real Prometheus scrapes them from a real worker process: a migration
on the dev server is approved at uat, bakes at 2% and 25%, is rejected at traffic-25 and rolls back."""

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cutover.demo.local_servers import free_port
from cutover.demo.seed import seed
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import wait_for, write_plan

WORKFLOW_ID = "mig-metrics"
PATIENCE = 300.0  # seconds: a slow machine, another test run beside this one
EXPOSED = ("catalog", "checkout")  # examples/shop-migration.yaml's
Sample = tuple[dict[str, str], float]


@contextmanager
def prometheus_scraping(folder: Path, *targets: str) -> Iterator[str]:
    """The Debian package's Prometheus on a loopback port, scraping targets every second; yields its URL."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed: apt-get install prometheus (.ci/run does)"
    config = folder / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        f"scrape_configs: [{{job_name: cutover-worker, static_configs: [{{targets: {list(targets)}}}]}}]\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until(lambda: ready(url), "prometheus is ready", 60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def ready(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/-/ready", timeout=2)
    except OSError:
        return False
    return True


def query(url: str, promql: str) -> list[Sample]:
    """An instant query through Prometheus's HTTP API: each series' labels and value."""
    with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}") as answer:
        body: dict[str, Any] = json.load(answer)
    assert body["status"] == "success", body
    return [(series["metric"], float(series["value"][1])) for series in body["data"]["result"]]


def until(condition: Any, what: str, limit: float = PATIENCE) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.5)


def values(url: str, promql: str) -> dict[str, float]:
    """Each series' value by its distinguishing labels (those besides the ones every series has)."""
    common = {
        "__name__",
        "migration",
        "instance",
        "job",
        "namespace",
        "task_queue",
        "workflow_type",
        "service_name",
    }
    return {
        ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in common): value
        for labels, value in query(url, promql)
    }


def test_prometheus_scrapes_a_migrations_metrics(processes: Processes, tmp_path: Path) -> None:
    """Worker A runs the migration to the traffic-25 gate (approved at uat) and stops; worker B replays
    it, shows its gauges at its first new task (a pause), counts only what happens on it."""
    seed(processes.data_dir / "local-env.json")
    a, b = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    first = processes.start_worker("--metrics-port", a.split(":")[1])
    started = processes.cutover("start", str(write_plan(tmp_path)), "--id", WORKFLOW_ID, timeout=PATIENCE)
    assert started.returncode == 0, started.stderr
    on_a, on_b = (
        f'{{migration="{WORKFLOW_ID}",instance="{a}"}}',
        f'{{migration="{WORKFLOW_ID}",instance="{b}"}}',
    )
    with prometheus_scraping(tmp_path, a, b) as url:
        wait_for(processes, WORKFLOW_ID, gate_open("uat"), limit=PATIENCE)
        # The open gate: when it opened, as a unix time an alert compares with time().
        until(lambda: values(url, f"cutover_gate_opened_timestamp_seconds{on_a}") != {}, "uat shown open")
        (opened,) = values(url, f"cutover_gate_opened_timestamp_seconds{on_a}").values()
        assert 0 < time.time() - opened < PATIENCE
        assert values(url, f"cutover_migration_phase{on_a} == 1") == {"phase=validation": 1.0}
        approved = processes.cutover("approve", WORKFLOW_ID, "--gate", "uat", "--as", "alice")
        assert approved.returncode == 0, approved.stderr
        at_25 = wait_for(processes, WORKFLOW_ID, gate_open("traffic-25"), limit=PATIENCE)
        assert at_25.weights == dict.fromkeys(EXPOSED, 25)
        green_at_25 = {f"service={s}": 25.0 for s in EXPOSED}
        traffic_25 = f'cutover_gate_opened_timestamp_seconds{{gate="traffic-25",instance="{a}"}}'
        # Shown open after the step's verdicts were counted: a scrape that has it has them.
        until(lambda: values(url, traffic_25) != {}, "traffic-25 shown open on A")
        (opened_25,) = values(url, traffic_25).values()
        assert values(url, f"cutover_migration_green_percent{on_a}") == green_at_25
        assert values(url, f"cutover_decisions_total{on_a}") == {"decision=approve,gate=uat": 1.0}
        # The 2% and 25% bakes judged each exposed service.
        assert sum(values(url, f"cutover_analysis_verdicts_total{on_a}").values()) == 2 * len(EXPOSED)
        evalues = values(url, f"cutover_analysis_evalue{on_a}")
        bounds = values(url, f"cutover_analysis_bound{on_a}")
        assert {f"service={s},test=errors" for s in EXPOSED} <= set(evalues) == set(bounds)
        assert all(bound > 1 for bound in bounds.values())

        first.terminate()
        first.wait(timeout=60)
        processes.start_worker("--metrics-port", b.split(":")[1])
        paused = processes.cutover("pause", WORKFLOW_ID, "--as", "alice", timeout=PATIENCE)
        assert paused.returncode == 0, paused.stderr
        shown_on_b = {
            f"cutover_migration_phase{on_b}": {"phase=validation": 1.0},
            f"cutover_migration_green_percent{on_b}": green_at_25,
            f"cutover_gate_opened_timestamp_seconds{on_b}": {"gate=traffic-25": opened_25},
            f"cutover_undo_stuck{on_b}": {"": 0.0},
        }
        until(lambda: {promql: values(url, promql) for promql in shown_on_b} == shown_on_b, "gauges on B")
        for resumed in ("resume", "reject"):
            sent = processes.cutover(resumed, WORKFLOW_ID, "--as", "bob", *gate_of(resumed), timeout=PATIENCE)
            assert sent.returncode == 0, sent.stderr
        done = wait_for(processes, WORKFLOW_ID, lambda s: s.phase.value == "done", limit=PATIENCE)
        assert done.outcome.value == "rolled-back"

        until(lambda: values(url, f"cutover_migration_phase{on_b} == 1") == {"phase=done": 1.0}, "done")
        phases = values(url, f"cutover_migration_phase{on_b}")
        assert phases == {
            "phase=validation": 0.0,
            "phase=rolling-back": 0.0,
            "phase=post-release-review": 0.0,
            "phase=done": 1.0,
        }
        assert values(url, f"cutover_migration_green_percent{on_b}") == {f"service={s}": 0.0 for s in EXPOSED}
        assert values(url, f"cutover_rollbacks_total{on_b}") == {"": 1.0}
        # Nothing A counted is counted again by B's replay.
        assert values(url, f"cutover_decisions_total{on_b}") == {"decision=reject,gate=traffic-25": 1.0}
        assert values(url, f"cutover_analysis_verdicts_total{on_b}") == {}
        assert values(url, f"cutover_gate_opened_timestamp_seconds{on_b}") == {"gate=traffic-25": 0.0}
        closed = values(url, f'cutover_gate_open_seconds_count{{instance="{b}"}}')
        assert closed == {"gate=traffic-25,outcome=rejected": 1.0}


def gate_of(verb: str) -> tuple[str, ...]:
    return ("--gate", "traffic-25") if verb == "reject" else ()


def gate_open(name: str) -> Any:
    return lambda status: status.open_gate is not None and status.open_gate.name == name
