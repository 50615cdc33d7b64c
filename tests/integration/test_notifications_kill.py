"""A worker killed with SIGKILL while a migration waits at a gate it has told people about: a fresh
worker, sharing the report folder (and so the ledger of what was sent, as workers sharing a volume
do), finishes the migration without telling anyone anything twice."""

import asyncio
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from cutover.demo.seed import seed
from cutover.models import MigrationStatus
from cutover.notify.ledger import FileLedger
from cutover.worker import NOTIFICATIONS_SENT
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import wait_for, write_plan
from tests.notify.conftest import Receiver

EVENTS = "/events"
WORKFLOW_ID = "mig-notify-kill"
GATES = ["uat", "traffic-25", "traffic-75", "full-cutover"]  # examples/shop-migration.yaml's
PATIENCE = 300.0  # seconds: a slow machine, another test run beside this one


@contextmanager
def receiving() -> Iterator[Receiver]:
    """tests/notify's receiver on 127.0.0.1, served from a thread of its own (this test is not async)."""
    receiver = Receiver()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        receiver.port = runner.addresses[0][1]

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, name="notification-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def events(receiver: Receiver) -> list[dict[str, Any]]:
    """Every CloudEvent received, as it arrived (list() copies it away from the receiver's thread)."""
    return [request.json() for request in list(receiver.at(EVENTS))]


def gate_opened(receiver: Receiver, gate: str) -> list[dict[str, Any]]:
    opened = [event for event in events(receiver) if event["type"] == "io.cutover.gate-opened"]
    return [event for event in opened if event["data"]["gate"] == gate]


def until(condition: Callable[[], bool], what: str, limit: float = PATIENCE) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.2)


def approve_until_done(processes: Processes) -> MigrationStatus:
    """Approve each gate through the CLI as it opens, until the migration is done."""
    while True:
        status = wait_for(
            processes,
            WORKFLOW_ID,
            lambda s: s.open_gate is not None or s.phase.value == "done",
            limit=PATIENCE,
        )
        if status.open_gate is None:
            return status
        name = status.open_gate.name
        approved = processes.cutover("approve", WORKFLOW_ID, "--gate", name, "--as", "bob", timeout=PATIENCE)
        assert approved.returncode == 0, approved.stderr
        wait_for(processes, WORKFLOW_ID, decided(name), limit=PATIENCE)


def decided(gate: str) -> Callable[[MigrationStatus], bool]:
    return lambda status: status.open_gate is None or status.open_gate.name != gate


def test_a_killed_worker_tells_nobody_twice(processes: Processes, tmp_path: Path) -> None:
    seed(processes.data_dir / "local-env.json")
    with receiving() as receiver:
        config = processes.data_dir / "platform.yaml"
        destinations = {"events": {"cloudevents": f"http://{receiver.base}{EVENTS}"}}
        config.write_text(yaml.safe_dump({"notifications": {"destinations": destinations}}))
        processes.env["CUTOVER_PLATFORM_CONFIG"] = str(config)
        plan = write_plan(tmp_path, notify={"routes": [{"to": ["events"], "events": ["*"]}]})
        ledger = FileLedger(Path(processes.env["CUTOVER_REPORT_DIR"]) / NOTIFICATIONS_SENT)

        first = processes.start_worker()
        started = processes.cutover("start", str(plan), "--id", WORKFLOW_ID, timeout=PATIENCE)
        assert started.returncode == 0, started.stderr
        until(lambda: bool(gate_opened(receiver, "uat")), "the uat gate's gate-opened arrived")
        (told,) = gate_opened(receiver, "uat")
        # Delivered and recorded: the one moment a kill could post it twice (after the receiver took
        # it, before the ledger marked it) is over, as at-least-once delivery says it may be.
        until(lambda: ledger.sent(told["id"], "events"), "the ledger recorded the gate-opened")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)

        processes.start_worker()
        final = approve_until_done(processes)
        assert final.outcome.value == "succeeded", final.outcome_reason
        # The run ends once its notifications have landed; the status says done a moment before.
        until(
            lambda: any(e["type"] == "io.cutover.review-written" for e in events(receiver)),
            "the review-written notification arrived",
        )
        received = events(receiver)
        ended = wait_for(processes, WORKFLOW_ID, lambda s: s.phase.value == "done", limit=PATIENCE)

    ids = Counter(event["id"] for event in received)
    assert [key for key, times in ids.items() if times > 1] == [], "no key was received twice"
    assert len(gate_opened(receiver, "uat")) == 1
    in_order = sorted(received, key=lambda event: int(event["id"].rsplit("/", 1)[1]))
    assert [e["id"] for e in in_order] == [f"{WORKFLOW_ID}/{n}" for n in range(1, len(in_order) + 1)]
    kinds = [event["data"]["kind"] for event in in_order]
    assert kinds == ["gate-opened"] * len(GATES) + ["succeeded", "review-written"]
    assert [event["data"]["gate"] for event in in_order[: len(GATES)]] == GATES
    assert all(ledger.sent(key, "events") for key in ids)
    assert [e.message for e in ended.timeline if e.kind == "notification"] == [], "none failed"
