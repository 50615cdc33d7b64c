"""The open-model load generator against real HTTP servers on loopback: the schedule's counts, errors by
status, a stall that shows in the percentiles, timeouts, shedding, and a cancellation that stops it.

Timing is asserted loosely (the suite runs on busy machines): counts exactly, latencies only where the
server makes them large."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta

import pytest

from cutover.checks.load import LoadProgress, LoadShape, LoadSummary, RequestTemplate, run_load
from cutover.temporal.payloads import DATA_CONVERTER

MS = timedelta(milliseconds=1)
SECOND = timedelta(seconds=1)


@dataclass
class Server:
    """A minimal HTTP/1.1 keep-alive server: 200 "ok" unless `status` names the path; `delay` holds a
    path's answers; `stall_at` makes the whole server stop answering for `stall_s` once, from the
    request of that number (from 1) on: every request being answered meanwhile waits for the end."""

    status: dict[str, int] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    stall_at: int | None = None
    stall_s: float = 1.0
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, path)
    open_connections: int = 0
    url: str = ""
    _stalled_until: float = 0.0

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                path = head.split(" ", 2)[1]
                lengths = [
                    line.split(":", 1)[1]
                    for line in head.lower().split("\r\n")
                    if line.startswith("content-length:")
                ]
                if lengths:
                    await reader.readexactly(int(lengths[0]))
                now = time.monotonic()
                self.arrivals.append((now, path))
                if len(self.arrivals) == self.stall_at:
                    self._stalled_until = now + self.stall_s
                if await self._closed_while_waiting(
                    reader, max(self.delay.get(path, 0.0), self._stalled_until - now)
                ):
                    return
                status = self.status.get(path, 200)
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            self.open_connections -= 1
            writer.close()

    @staticmethod
    async def _closed_while_waiting(reader: asyncio.StreamReader, seconds: float) -> bool:
        """Wait, noticing meanwhile if the client closes the connection (it sends nothing else while
        it waits for the answer: no pipelining)."""
        if seconds <= 0:
            return False
        closed = asyncio.ensure_future(reader.read(1))
        done, _ = await asyncio.wait([closed], timeout=seconds)
        if not done:
            closed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await closed  # else it is still the stream's waiter when the next request is read
            return False
        closed.exception()  # a reset is a close too; retrieved, so never reported as unhandled
        return True

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["Server"]:
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=1024)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        async with server:
            yield self
            server.close()


def shape(rate: float, seconds: float, ramp: float = 0.0) -> LoadShape:
    return LoadShape(rate=rate, duration=timedelta(seconds=seconds), ramp=timedelta(seconds=ramp))


async def test_a_healthy_server_gets_every_request_of_the_schedule() -> None:
    async with Server().running() as server:
        summary = await run_load(
            server.url, shape(200, 2), [RequestTemplate()], timeout=30 * SECOND, max_in_flight=400
        )
    assert (summary.intended, summary.sent, summary.completed, summary.errors) == (400, 400, 400, 0)
    assert len(server.arrivals) == 400 and summary.error_rate == 0.0
    assert summary.duration_s >= 2.0 and 0 < summary.achieved_rps <= 200  # lower on a busy machine
    assert summary.p50_ms is not None and summary.p99_ms is not None and summary.max_ms is not None
    assert 0 < summary.p50_ms <= summary.p95_ms <= summary.p99_ms <= summary.max_ms  # type: ignore[operator]
    assert sum(count for _, count in summary.latency_buckets) == 400


async def test_requests_cycle_by_weight_with_their_method_headers_and_body() -> None:
    seen: list[str] = []

    @dataclass
    class Echo(Server):
        async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while not reader.at_eof():
                with contextlib.suppress(asyncio.IncompleteReadError):
                    head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
                    length = [ln for ln in head.split("\r\n") if ln.startswith("content-length:")]
                    body = (await reader.readexactly(int(length[0].split(":")[1]))).decode() if length else ""
                    token = [ln for ln in head.split("\r\n") if ln.startswith("x-token:")]
                    seen.append(
                        f"{head.split(' ')[0]} {head.split(' ')[1]} {body} {token[0] if token else ''}"
                    )
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            writer.close()

    templates = [
        RequestTemplate(path="/a", weight=3),
        RequestTemplate(method="POST", path="/b", body="{}", headers={"X-Token": "mine"}),
    ]
    async with Echo().running() as server:
        summary = await run_load(
            server.url,
            shape(100, 0.4),
            templates,
            timeout=SECOND,
            max_in_flight=50,
            headers={"X-Token": "run"},
        )
    assert summary.completed == 40
    assert sorted(set(seen)) == ["get /a  x-token: run", "post /b {} x-token: mine"]
    assert sum(line.startswith("get /a") for line in seen) == 30


async def test_error_rate_counts_5xx_and_transport_errors_not_4xx_unless_asked() -> None:
    templates = [
        RequestTemplate(path="/ok", weight=2),
        RequestTemplate(path="/fail"),
        RequestTemplate(path="/gone"),
    ]
    async with Server(status={"/fail": 503, "/gone": 404}).running() as server:
        summary = await run_load(server.url, shape(100, 1), templates, timeout=SECOND, max_in_flight=50)
        strict = await run_load(
            server.url,
            shape(100, 1),
            templates,
            timeout=SECOND,
            max_in_flight=50,
            error_statuses=range(400, 600),
        )
    assert (summary.intended, summary.completed, summary.error_responses, summary.errors) == (
        100,
        100,
        25,
        25,
    )
    assert summary.error_rate == 0.25
    assert strict.errors == 50 and strict.error_rate == 0.5

    refused = await run_load(server.url, shape(50, 0.2), [RequestTemplate()], timeout=SECOND, max_in_flight=5)
    assert (refused.intended, refused.transport_errors, refused.error_rate) == (10, 10, 1.0)
    assert refused.first_error is not None and "connect" in refused.first_error.lower()


async def test_a_stall_shows_in_the_percentiles() -> None:
    """The server stops answering for 1 s once. A closed-model generator with a few workers would send
    a few requests during the stall, so a handful of 1 s samples among hundreds; here every request due
    in that second is sent on time and waits, so about a third of a 3 s run is slow."""
    async with Server(stall_at=200).running() as server:
        summary = await run_load(
            server.url, shape(200, 3), [RequestTemplate()], timeout=5 * SECOND, max_in_flight=1000
        )
    assert summary.completed == 600 and summary.errors == 0
    assert summary.max_ms is not None and summary.max_ms >= 900
    assert summary.p99_ms is not None and summary.p99_ms >= 500
    assert summary.slower_than(500) >= 50, "the requests due in the stall's first half waited over 500 ms"


async def test_a_request_that_outlives_its_timeout_is_an_error_measured_to_the_timeout() -> None:
    templates = [RequestTemplate(path="/fast"), RequestTemplate(path="/slow")]
    async with Server(delay={"/slow": 30.0}).running() as server:
        summary = await run_load(server.url, shape(20, 1), templates, timeout=5 * SECOND, max_in_flight=50)
    assert (summary.intended, summary.completed, summary.timeouts, summary.errors) == (20, 10, 10, 10)
    assert summary.max_ms is not None and 5000 <= summary.max_ms < 29_000
    assert summary.slower_than(4900) == 10
    assert summary.first_error == "timed out after 5 s"


async def test_requests_due_while_max_in_flight_are_outstanding_are_shed() -> None:
    async with Server(delay={"/": 1.0}).running() as server:
        summary = await run_load(
            server.url, shape(100, 0.5), [RequestTemplate()], timeout=5 * SECOND, max_in_flight=5
        )
    assert (summary.intended, summary.sent, summary.completed, summary.shed) == (50, 5, 5, 45)
    assert summary.errors == 45 and summary.error_rate == 0.9
    assert len(server.arrivals) == 5


async def test_a_ramp_rises_linearly_to_the_rate() -> None:
    async with Server().running() as server:
        summary = await run_load(
            server.url, shape(200, 2, ramp=1), [RequestTemplate()], timeout=SECOND, max_in_flight=100
        )
    assert summary.intended == summary.completed == 300  # 200 * (2 - 1/2)
    start = server.arrivals[0][0]
    first_half_second = sum(at - start < 0.5 for at, _ in server.arrivals)  # 25 on schedule
    last_half_second = sum(at - start >= 1.5 for at, _ in server.arrivals)  # 100 on schedule
    assert first_half_second < last_half_second


def test_the_shape_counts_and_times_its_arrivals() -> None:
    flat, ramped = shape(200, 2), shape(200, 2, ramp=1)
    assert (flat.intended, ramped.intended, shape(3, 1.1).intended) == (400, 300, 4)
    assert flat.due_at(0) == 0 and flat.due_at(399) == pytest.approx(1.995)
    for index in (1, 10, 99, 100, 101, 299):
        assert ramped.arrivals_by(ramped.due_at(index)) == pytest.approx(index)
    assert ramped.due_at(299) < 2
    with pytest.raises(ValueError, match="ramp"):
        shape(10, 1, ramp=2)
    with pytest.raises(ValueError, match="rate"):
        shape(0, 1)
    with pytest.raises(ValueError, match="weight"):
        RequestTemplate(weight=0)


async def test_progress_is_reported_as_the_run_goes() -> None:
    reports: list[LoadProgress] = []
    async with Server().running() as server:
        summary = await run_load(
            server.url,
            shape(100, 1),
            [RequestTemplate()],
            timeout=SECOND,
            max_in_flight=50,
            on_progress=reports.append,
            progress_every=200 * MS,
        )
    assert len(reports) >= 3
    assert [r.intended for r in reports] == sorted(r.intended for r in reports)
    assert 0 < reports[-1].intended <= summary.intended and reports[-1].p50_ms is not None


async def test_cancelling_stops_sending_and_closes_every_connection() -> None:
    # Every tenth request hangs, so requests are in flight when the run is cancelled.
    templates = [RequestTemplate(weight=9), RequestTemplate(path="/hang")]
    async with Server(delay={"/hang": 60.0}).running() as server:
        run = asyncio.create_task(
            run_load(server.url, shape(100, 60), templates, timeout=120 * SECOND, max_in_flight=1000)
        )
        while len(server.arrivals) < 30:
            await asyncio.sleep(0.01)
        cancelled_at = time.monotonic()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(run, timeout=5)
        assert time.monotonic() - cancelled_at < 20, "the cancellation waited for requests in flight (60 s)"
        arrived = len(server.arrivals)
        await asyncio.sleep(0.5)
        assert len(server.arrivals) == arrived, "requests arrived after the run was cancelled"
        deadline = time.monotonic() + 5
        while server.open_connections and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert server.open_connections == 0, "the run's session left connections open"


async def test_the_summary_is_small_and_crosses_the_activity_boundary() -> None:
    async with Server(stall_at=5, stall_s=0.3).running() as server:
        summary = await run_load(
            server.url, shape(200, 1), [RequestTemplate()], timeout=SECOND, max_in_flight=500
        )
    assert len(json.dumps(asdict(summary))) < 20_000
    converter = DATA_CONVERTER.payload_converter
    assert converter.from_payloads(converter.to_payloads([summary]), [LoadSummary]) == [summary]
