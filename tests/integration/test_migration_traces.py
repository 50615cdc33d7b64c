"""Traces: with an OTLP endpoint configured, the CLI and a real worker process send their spans to a
real OTLP/HTTP receiver on loopback, one trace from `cutover start` down to the activities."""

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from cutover.demo.seed import seed
from tests.integration.conftest import Processes
from tests.integration.test_cli_errors import wait_for, write_plan

WORKFLOW_ID = "mig-traces"
PATIENCE = 300.0  # seconds: a slow machine, another test run beside this one


@dataclass(frozen=True)
class Span:
    service: str
    trace_id: str
    name: str


class Collector:
    """What an OpenTelemetry collector's OTLP/HTTP traces endpoint takes: protobuf, at /v1/traces."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        assert request.path == "/v1/traces" and request.content_type == "application/x-protobuf"
        export = ExportTraceServiceRequest.FromString(await request.read())
        received = []
        for resource_spans in export.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    received.append(Span(attributes["service.name"], span.trace_id.hex(), span.name))
        with self.lock:
            self.spans += received
        answer = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=answer, content_type="application/x-protobuf")

    def received(self) -> list[Span]:
        with self.lock:
            return list(self.spans)


@contextmanager
def collecting() -> Iterator[Collector]:
    """The collector on 127.0.0.1, served from a thread of its own (the test is not async)."""
    collector = Collector()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/{tail:.*}", collector.handle)
    runner = web.AppRunner(app, access_log=None)

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        collector.port = runner.addresses[0][1]

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, name="otlp-collector", daemon=True)
    thread.start()
    try:
        yield collector
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def until_received(collector: Collector, *wanted: tuple[str, str]) -> list[Span]:
    """Wait until spans of each (service, name) arrived; all spans so far."""
    deadline = time.monotonic() + PATIENCE
    while True:
        spans = collector.received()
        if all(any((s.service, s.name) == w for s in spans) for w in wanted):
            return spans
        if time.monotonic() > deadline:
            raise AssertionError(
                f"never received {wanted}; got {sorted({(s.service, s.name) for s in spans})}"
            )
        time.sleep(0.5)


def test_a_migration_is_one_trace_from_the_cli_to_the_activities(
    processes: Processes, tmp_path: Path
) -> None:
    seed(processes.data_dir / "local-env.json")
    with collecting() as collector:
        endpoint = f"http://127.0.0.1:{collector.port}"
        processes.env |= {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        processes.env["OTEL_SERVICE_NAME"] = "cutover-worker"
        processes.start_worker()
        processes.env["OTEL_SERVICE_NAME"] = "cutover-cli"
        started = processes.cutover("start", str(write_plan(tmp_path)), "--id", WORKFLOW_ID, timeout=PATIENCE)
        assert started.returncode == 0, started.stderr
        wait_for(processes, WORKFLOW_ID, lambda s: s.open_gate is not None, limit=PATIENCE)

        spans = until_received(
            collector,
            ("cutover-cli", "StartWorkflow:MigrationWorkflow"),
            ("cutover-worker", "RunWorkflow:MigrationWorkflow"),
            ("cutover-worker", "RunActivity:discover"),
            ("cutover-worker", "RunWorkflow:MigrationLeases"),
        )
    (start,) = [s for s in spans if s.name == "StartWorkflow:MigrationWorkflow"]
    trace = {(s.service, s.name) for s in spans if s.trace_id == start.trace_id}
    assert {
        ("cutover-worker", "RunWorkflow:MigrationWorkflow"),
        ("cutover-worker", "StartActivity:discover"),
        ("cutover-worker", "RunActivity:discover"),
        ("cutover-worker", "StartChildWorkflow:MigrationLeases"),
        ("cutover-worker", "RunWorkflow:MigrationLeases"),
    } <= trace, sorted(trace)
