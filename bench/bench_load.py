"""The in-worker load generator (cutover.checks.load) against a local server: does it keep its rate, and
does a server stall show in its percentiles?

python bench/bench_load.py [--rates 500,2000,5000] [--duration 20] [--stall-rate 2000]

The server runs in a separate process (this file with --serve: a minimal asyncio HTTP/1.1 keep-alive
server answering every request with 200 "ok" at once), so its CPU is not the generator's. Per rate the
generator runs for --duration seconds on a fresh event loop in this process and the bench prints the
target, the achieved rate (answered requests over the run's wall time), p50/p99, errors, shed
requests and the generator's CPU: process time over wall time, in % of one core (this process does
nothing else meanwhile). Then one run at --stall-rate against a server that blocks its whole event
loop for 1 s once, halfway through (as a stop-the-world pause would): with latency counted from each
request's intended send time, every request due during the stall waits for it, so p99 and max show
it (a closed-model generator would send a handful of requests during the stall and hide it). The stall
counts as seen when max or p99 is at least 900 ms.

The last line is `RESULT target_rps=2000 achieved_rps=<n> stall_seen=<true|false> cpu_pct=<n>`, from
the --stall-rate run without the stall (achieved rate and CPU) and the stall run (stall_seen).
"""

import argparse
import asyncio
import subprocess
import sys
import time
from datetime import timedelta

from cutover.checks.load import LoadShape, LoadSummary, RequestTemplate, run_load

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
STALL_SECONDS = 1.0
STALL_SEEN_MS = 900.0
MAX_IN_FLIGHT = 10_000  # above the 2,000 a 1 s stall at 2,000/s leaves outstanding: nothing is shed
TIMEOUT = timedelta(seconds=10)


class _Http(asyncio.Protocol):
    """HTTP/1.1 requests in, one canned response each; bodies skipped by Content-Length."""

    stall_after: float | None = None  # seconds after the first request; None: never stall
    first: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        answers = 0
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            length = 0
            head = buffer[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length :]
            answers += 1
        self.buffer = buffer
        if answers:
            self._maybe_stall()
            self.transport.write(RESPONSE * answers)

    @classmethod
    def _maybe_stall(cls) -> None:
        now = time.monotonic()
        if cls.first is None:
            cls.first = now
        if cls.stall_after is not None and now - cls.first >= cls.stall_after:
            cls.stall_after = None
            time.sleep(STALL_SECONDS)  # the whole server stops: no accepts, no answers


async def _serve(stall_after: float | None) -> None:
    _Http.stall_after = stall_after
    server = await asyncio.get_running_loop().create_server(_Http, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


class Server:
    """The server in its own process; its port read from its first line."""

    def __init__(self, stall_after: float | None = None) -> None:
        command = [sys.executable, __file__, "--serve"]
        if stall_after is not None:
            command += ["--stall-after", str(stall_after)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait()


def measure(url: str, rate: float, duration: float) -> tuple[LoadSummary, float]:
    """One run on a fresh event loop; the summary and this process's CPU in % of one core."""
    shape = LoadShape(rate=rate, duration=timedelta(seconds=duration))
    cpu, wall = time.process_time(), time.perf_counter()
    summary = asyncio.run(
        run_load(url, shape, [RequestTemplate()], timeout=TIMEOUT, max_in_flight=MAX_IN_FLIGHT)
    )
    cpu_pct = 100 * (time.process_time() - cpu) / (time.perf_counter() - wall)
    return summary, cpu_pct


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def line(label: str, rate: float, summary: LoadSummary, cpu_pct: float) -> str:
    return (
        f"{label:<6} target {rate:>6.0f}/s  achieved {summary.achieved_rps:>8.1f}/s  "
        f"p50 {_ms(summary.p50_ms):>7} ms  p99 {_ms(summary.p99_ms):>8} ms  max {_ms(summary.max_ms):>8} ms  "
        f"errors {summary.errors}  shed {summary.shed}  send lag p99 {_ms(summary.send_lag_p99_ms)} ms  "
        f"cpu {cpu_pct:.0f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="500,2000,5000")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--stall-rate", type=float, default=2000.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stall-after", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.stall_after))
        return

    rates = [float(rate) for rate in args.rates.split(",")]
    print(f"generator: {args.duration:g} s per rate, server in process of its own, cpu in % of one core")
    reference: tuple[LoadSummary, float] | None = None
    with Server() as server:
        for rate in rates:
            summary, cpu_pct = measure(server.url, rate, args.duration)
            print(line("steady", rate, summary, cpu_pct), flush=True)
            if rate == args.stall_rate:
                reference = summary, cpu_pct
        if reference is None:
            reference = measure(server.url, args.stall_rate, args.duration)
            print(line("steady", args.stall_rate, *reference), flush=True)
    with Server(stall_after=args.duration / 2) as server:
        stalled, cpu_pct = measure(server.url, args.stall_rate, args.duration)
    print(line("stall", args.stall_rate, stalled, cpu_pct))
    seen = max(stalled.max_ms or 0.0, stalled.p99_ms or 0.0) >= STALL_SEEN_MS
    print(
        f"stall of {STALL_SECONDS:g} s at {args.stall_rate:g}/s: p99 {_ms(stalled.p99_ms)} ms, "
        f"max {_ms(stalled.max_ms)} ms, {stalled.slower_than(STALL_SEEN_MS / 2)} requests over "
        f"{STALL_SEEN_MS / 2:g} ms: {'seen' if seen else 'NOT seen'}"
    )
    summary, cpu_pct = reference
    print(
        f"RESULT target_rps={args.stall_rate:g} achieved_rps={summary.achieved_rps:.1f} "
        f"stall_seen={'true' if seen else 'false'} cpu_pct={cpu_pct:.0f}"
    )


if __name__ == "__main__":
    main()
