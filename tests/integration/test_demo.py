"""`cutover demo` end to end on a real dev server, as a user would run it."""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

from cutover.demo.local_servers import free_port, port_open
from cutover.demo.traffic import REQUESTS_PER_SECOND

MOTO_LINE = re.compile(
    r"production ALB/CloudWatch code against a local moto server http://127\.0\.0\.1:(\d+)"
)
WEIGHTS_LINE = re.compile(r"ALB weights read back from moto: (\S+) blue (\d+) / green (\d+)")
ANALYSIS_LINE = re.compile(r" analysis +cutover +(bake at \d+%|intensive monitoring) (\S+): (\w+)$", re.M)
COMPARISON_FAILED = re.compile(
    r"outcome: rolled-back — bake at 25% failed for (checkout|catalog): green's error rate is above 1x "
    r"blue's \((?:e-value|change detector) (\S+) over its bound (\S+)\) "
    r"\(this step: green (\d+)/(\d+) errors, blue (\d+)/(\d+)\)"
)


CHECK_LINE = re.compile(r" check +cutover +check (\S+) at (.+?)(?: \(\d+ looks\))?: (pass|fail|error) \(")


def run_demo(tmp_path: Path, *flags: str, task_queue: str | None = None) -> subprocess.CompletedProcess[str]:
    """The demo, unattended; task_queue: an operator's CUTOVER_TASK_QUEUE in its environment."""
    environment = dict(os.environ)
    environment.pop("CUTOVER_TASK_QUEUE", None)
    if task_queue is not None:
        environment["CUTOVER_TASK_QUEUE"] = task_queue
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
        env=environment,
        stdin=subprocess.DEVNULL,  # not a terminal: the demo ends with its migration
    )


def alb_weights(output: str) -> dict[str, tuple[int, int]]:
    """(blue, green) per service, as the demo read them back from moto before stopping it."""
    return {m[1]: (int(m[2]), int(m[3])) for m in WEIGHTS_LINE.finditer(output)}


def verdicts(output: str) -> dict[tuple[str, str], str]:
    """(bake or monitoring, service) -> the analysis verdict the demo printed."""
    return {(m[1], m[2]): m[3] for m in ANALYSIS_LINE.finditer(output)}


def assert_states_its_traffic(output: str) -> None:
    head = "\n".join(output.splitlines()[:3])
    assert f"Traffic: {REQUESTS_PER_SECOND:,} requests/s per service" in head, output
    assert "Poisson" in head and "Binomial at 1% in blue and green" in head, output
    assert "a look every 2s" in head, output


def assert_went_through_moto(tmp_path: Path, output: str) -> None:
    """The worker routed on the ALB, not on the local router; the moto server is gone afterwards."""
    moto = MOTO_LINE.search(output)
    assert moto, output
    assert not port_open(int(moto[1])), "the demo left its moto server running"
    assert json.loads((tmp_path / "demo" / "local-env.json").read_text())["routes"] == {}


def test_demo_auto_approve_runs_to_the_end(tmp_path: Path) -> None:
    """With CUTOVER_TASK_QUEUE exported (the worker once listened there, the migration went to
    `cutover`): one queue for both."""
    result = run_demo(tmp_path, task_queue="team-queue")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "started on task queue team-queue" in result.stdout
    assert "outcome: succeeded" in result.stdout
    for phase in ("preparation", "non-exposed-migration", "parallel-operation", "validation", "full-cutover"):
        assert f"entered {phase}" in result.stdout
    review = next((tmp_path / "demo" / "reports").glob("*.md")).read_text()
    assert "Outcome: **succeeded**" in review
    assert "demo-approver | approved: gate full-cutover" in review
    assert alb_weights(result.stdout) == {"shop/catalog": (0, 100), "shop/checkout": (0, 100)}
    assert_went_through_moto(tmp_path, result.stdout)
    assert_states_its_traffic(result.stdout)
    steps = [f"bake at {w}%" for w in (2, 25, 75, 100)] + ["intensive monitoring"]
    expected = {(step, service): "pass" for step in steps for service in ("checkout", "catalog")}
    assert verdicts(result.stdout) == expected, result.stdout
    checks = CHECK_LINE.findall(result.stdout)
    assert ("load-comparison", "validation", "pass") in checks and ("e2e", "final", "pass") in checks
    assert [c for c in checks if c[0] == "orders-in-sync"] == [
        ("orders-in-sync", step, "pass") for step in steps
    ], "the data check ran at every look of every bake and of monitoring"
    opened = result.stdout.index("UAT route open: requests with header X-Cutover: green reach green's")
    assert opened < result.stdout.index("gate uat waits") < result.stdout.index("UAT route closed")


def test_demo_on_a_taken_port_says_so_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "cutover.cli.main", "demo", "--data-dir", str(tmp_path / "demo")]
            + ["--port", str(free_port()), "--ui-port", str(port)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: port {port} is already in use (another Temporal server?); pick others with --port/--ui-port"
    ]
    assert not (tmp_path / "demo" / "temporal.db").exists()


def test_demo_failure_injection_rolls_back_and_exits_non_zero(tmp_path: Path) -> None:
    """Green at twice blue's 1% from 25% on: the comparison with blue fails within two looks at 25%.

    Either judge may fire first on the demo's random traffic: the e-value or the change detector.
    """
    result = run_demo(tmp_path, "--fail-at-step", "25")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "; from 25% green on, green's at 2%, twice blue's (--fail-at-step 25)" in result.stdout
    failed = COMPARISON_FAILED.search(result.stdout)
    assert failed, result.stdout
    e_value, bound = float(failed[2]), float(failed[3])
    green_errors, green_requests, blue_errors, blue_requests = (int(failed[i]) for i in range(4, 8))
    assert e_value >= bound
    assert green_errors / green_requests > blue_errors / blue_requests
    assert green_requests <= 2 * 2 * REQUESTS_PER_SECOND * 0.25 * 1.05, "took more than two looks"
    assert "rolling back: bake at 25% failed for" in result.stdout, "the timeline shows the evidence"
    printed = verdicts(result.stdout)
    assert printed[("bake at 2%", "checkout")] == printed[("bake at 2%", "catalog")] == "pass"
    assert printed[("bake at 25%", failed[1])] == "fail"
    assert "blue serves everything it served before the migration" in result.stdout
    assert alb_weights(result.stdout) == {"shop/catalog": (100, 0), "shop/checkout": (100, 0)}
    assert_went_through_moto(tmp_path, result.stdout)


def test_fail_at_step_is_a_weight_green_can_be_compared_at(tmp_path: Path) -> None:
    """At 100% no blue is left to compare with: the demo refuses before starting anything."""
    result = subprocess.run(
        [sys.executable, "-m", "cutover.cli.main", "demo", "--data-dir", str(tmp_path / "demo")]
        + ["--fail-at-step", "100"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--fail-at-step: 100 is outside 1..75 (a weight, not a step number)" in result.stderr
    assert not (tmp_path / "demo").exists()


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
        stdin=subprocess.DEVNULL,
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


def test_terminated_demo_stops_everything_it_started(tmp_path: Path) -> None:
    """kill (SIGTERM) cleans up like Ctrl-C: no dev server, moto server or worker is left behind."""
    port, ui_port = free_port(), free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "cutover.cli.main", "demo", "--data-dir", str(tmp_path / "demo")]
        + ["--port", str(port), "--ui-port", str(ui_port)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert demo.stdout is not None
    output = ""
    for line in demo.stdout:
        output += line
        if "gate uat waits" in line:
            break
    moto = MOTO_LINE.search(output)
    assert moto, output
    demo.send_signal(signal.SIGTERM)
    rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 130, output + rest
    assert "interrupted: stopped the worker, the moto server and the dev server" in rest
    assert not port_open(port) and not port_open(ui_port) and not port_open(int(moto[1]))
    assert not processes_using(tmp_path), "a process the demo started is still running"


def processes_using(folder: Path) -> list[int]:
    """Pids whose environment names folder (the demo's worker gets its state path from there)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if str(folder).encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_a_failing_check_rolls_the_demo_back_with_its_evidence(tmp_path: Path) -> None:
    """--fail-check e2e: green's health says degraded; the end-to-end check before full cutover fails."""
    result = run_demo(tmp_path, "--fail-check", "e2e")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "green is broken where e2e looks (--fail-check)" in result.stdout
    assert (
        'outcome: rolled-back — check e2e at final: fail: green GET /health: JSON status: "degraded", '
        'expected "ok"'
    ) in result.stdout
    assert alb_weights(result.stdout) == {"shop/catalog": (100, 0), "shop/checkout": (100, 0)}
    assert "blue serves everything it served before the migration" in result.stdout


def test_an_unknown_fail_check_is_refused_with_the_option(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--fail-check", "nope")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: --fail-check: 'nope' is not a check of the demo plan: "
        "('load-comparison', 'e2e', 'orders-in-sync')"
    ]
    assert not (tmp_path / "demo").exists()


def test_an_unknown_fail_cronjob_is_refused_with_the_option(tmp_path: Path) -> None:
    """A typo in --fail-cronjob used to be ignored: the demo ran and nothing failed."""
    result = run_demo(tmp_path, "--fail-cronjob", "nightly-invoice")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: --fail-cronjob: 'nightly-invoice' is not a CronJob of the plan (known: "
        "nightly-invoices, ledger-export)"
    ]
    assert not (tmp_path / "demo").exists()
