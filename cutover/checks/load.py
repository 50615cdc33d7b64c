"""An open-model HTTP load generator: requests leave on a schedule, never waiting for earlier answers.

A closed-model generator (N workers, each sending its next request when the last one answered) slows
down with the server it measures: while the server stalls it sends nothing, so the stall costs a
handful of slow samples and the percentiles hide it (coordinated omission). Here the schedule alone
decides when each request is due (a constant arrival rate, after an optional linear ramp), each one
leaves as its own task at its due time whatever is still in flight, and its latency is counted from
that INTENDED send time: a stalled server, and equally a stalled event loop, shows in the latencies.

Why these libraries:

- aiohttp (one ClientSession, HTTP/1.1 keep-alive), not httpx as the probes use: measured here against a
  local server (bench/bench_load.py's), httpx 0.29 spends about 590 us of CPU per request (its
  client, httpcore's pool, anyio and h11 in pure Python), so one core tops out near 1,700 requests/s,
  below the 2,000-5,000 a check may ask for; aiohttp spends 60-130 us (its HTTP parser is in C). And
  httpcore 1.0's pool does work per request that grows with the square of its connections
  (encode/httpcore#1035, open), so the many connections a stalled server leaves behind drag the
  generator down until it collapses: the one event an open model exists to measure. aiohttp's pool
  takes and returns a connection in constant time. It is aio-libs' maintained client, typed (py.typed)
  and already in the worker's environment (kubernetes needs it); httpx over aiohttp's transport
  (httpx-aiohttp) still costs 220-280 us a request.
- No histogram library: latencies go into a log-bucketed histogram of our own (2% buckets, so a
  percentile is within 1% of the truth; memory bounded by the range, not the count: a few hundred
  buckets from 1 us to minutes). HdrHistogram_py (`hdrhistogram`) records in pure Python too, so it
  would not be faster here, ships no type information for strict mypy, and its extra precision buys
  nothing for a pass criterion; ours is a dict and a logarithm.

What counts as what (`LoadSummary`):

- an error is a request that was shed, timed out, failed in transport (connect refused, reset, ...)
  or got a status in `error_statuses` (default 500-599: a 4xx is the client's fault, usually a bad
  request template, not the environment's; pass `range(400, 600)` to count it too);
- shed: a request due while `max_in_flight` are still outstanding is not sent and counts as an error
  with no latency (not sending it is the generator protecting itself and the worker, and a run that
  sheds has already failed any sensible error-rate criterion; a latency for it would be invented);
- the timeout runs from the moment a request is actually sent (what a real client would do), while
  its latency, like every other, runs from its intended send time;
- latency percentiles cover every request that was sent and ended: answered with any status,
  failed, or timed out (recorded when it timed out, so a timeout never hides slowness);
- latencies include the generator's own lateness in sending: about 1 ms on an idle event loop (its
  timers' granularity: each wake launches every request that came due), more on a busy one;
  `send_lag_p99_ms` says how much, so a result can be told apart from a generator that fell behind.
"""

import asyncio
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
from yarl import URL

ERROR_STATUSES: Collection[int] = range(500, 600)
FIRST_ERROR_CHARS = 200
_GROWTH = 1.02  # histogram bucket width: each bucket's upper bound is 2% above its lower
_LOG_GROWTH = math.log(_GROWTH)


@dataclass(frozen=True)
class LoadShape:
    """`rate` requests/s at full rate for `duration`, the first `ramp` of it rising linearly from 0."""

    rate: float
    duration: timedelta
    ramp: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate must be a positive number of requests/s, got {self.rate}")
        if self.duration <= timedelta(0):
            raise ValueError(f"duration must be positive, got {self.duration}")
        if not timedelta(0) <= self.ramp <= self.duration:
            raise ValueError(f"ramp must be within 0..duration ({self.duration}), got {self.ramp}")

    def arrivals_by(self, seconds: float) -> float:
        """How many requests are due in the first `seconds`: the integral of the rate."""
        ramp = self.ramp.total_seconds()
        t = min(max(seconds, 0.0), self.duration.total_seconds())
        if t < ramp:
            return self.rate * t * t / (2 * ramp)
        return self.rate * (ramp / 2 + (t - ramp))

    @property
    def intended(self) -> int:
        """Requests in the whole run: rate * (duration - ramp / 2), rounded up."""
        return math.ceil(self.arrivals_by(self.duration.total_seconds()) - 1e-9)

    def due_at(self, index: int) -> float:
        """Seconds after the start when request `index` (from 0) is due: where arrivals_by reaches it."""
        ramp = self.ramp.total_seconds()
        in_ramp = self.rate * ramp / 2
        if index < in_ramp:
            return math.sqrt(2 * ramp * index / self.rate)
        return ramp + (index - in_ramp) / self.rate


@dataclass(frozen=True)
class RequestTemplate:
    """One kind of request; the run cycles through the templates, each `weight` times per cycle."""

    method: str = "GET"
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    weight: int = 1

    def __post_init__(self) -> None:
        if self.weight < 1:
            raise ValueError(f"weight must be at least 1, got {self.weight}")


@dataclass(frozen=True)
class LoadProgress:
    """The run so far, every `progress_every`: what an activity heartbeats."""

    elapsed_s: float
    intended: int
    sent: int
    completed: int
    errors: int
    shed: int
    in_flight: int
    p50_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class LoadSummary:
    """A finished run, small enough to cross the activity boundary.

    `completed` counts requests answered with any status; `errors` = shed + timeouts +
    transport_errors + error_responses; error_rate = errors / intended. achieved_rps is completed over
    the run's wall time (from the start until the last request ended, at least the shape's duration),
    so a generator that falls behind, or a ramp, shows as less than the rate.

    `latency_buckets` is the whole latency histogram, (upper bound in ms, count) per non-empty
    bucket, ascending, each bucket 2% wide (a few hundred at most): what a comparison of two
    environments' latencies needs beyond three percentiles (see slower_than).

    `send_lag_p99_ms` is the generator's own lateness (actual send time - intended): large only when
    the process cannot keep up, which the latencies then include by design.
    """

    intended: int
    sent: int
    completed: int
    errors: int
    error_responses: int
    transport_errors: int
    timeouts: int
    shed: int
    duration_s: float
    achieved_rps: float
    error_rate: float
    p50_ms: float | None  # None: no request was sent and ended
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    send_lag_p99_ms: float | None
    latency_buckets: tuple[tuple[float, int], ...] = ()
    first_error: str | None = None  # the first timeout or transport error, for the human reading the result

    def slower_than(self, ms: float) -> int:
        """Latency samples certainly slower than `ms`: those in buckets wholly above it (a sample
        less than 2% above `ms` may be missed; none at or below it is counted)."""
        return sum(count for upper, count in self.latency_buckets if upper / _GROWTH >= ms)


class LatencyHistogram:
    """Latencies in buckets [g^k, g^(k+1)) microseconds, g = 1.02; below 1 us in bucket 0."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self.count = 0
        self.max_s = 0.0

    def record(self, seconds: float) -> None:
        micros = seconds * 1e6
        bucket = int(math.log(micros) / _LOG_GROWTH) if micros > 1 else 0
        self._counts[bucket] = self._counts.get(bucket, 0) + 1
        self.count += 1
        if seconds > self.max_s:
            self.max_s = seconds

    def quantile_ms(self, q: float) -> float | None:
        """The nearest-rank q-quantile, as its bucket's geometric middle (within 1%), at most the max."""
        if self.count == 0:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for bucket in sorted(self._counts):
            seen += self._counts[bucket]
            if seen >= rank:
                return min(math.pow(_GROWTH, bucket + 0.5), self.max_s * 1e6) / 1000
        raise AssertionError("unreachable: the counts add up to self.count")

    @property
    def max_ms(self) -> float | None:
        return self.max_s * 1000 if self.count else None

    def buckets_ms(self) -> tuple[tuple[float, int], ...]:
        return tuple(
            (math.pow(_GROWTH, bucket + 1) / 1000, self._counts[bucket]) for bucket in sorted(self._counts)
        )


@dataclass(frozen=True)
class _Prepared:
    method: str
    url: URL
    headers: dict[str, str]
    content: bytes | None


def _cycle(base_url: str, templates: list[RequestTemplate], headers: dict[str, str]) -> list[_Prepared]:
    """The templates in the order the run sends them, repeated: smooth weighted round robin (as nginx
    balances), so weights 3 and 1 give a a b a rather than a a a b, and any stretch of the run has
    close to the weighted mix."""
    prepared = [
        _Prepared(
            method=t.method.upper(),
            url=URL(base_url.rstrip("/") + "/" + t.path.lstrip("/")),  # parsed once, not per request
            headers={**headers, **t.headers},
            content=None if t.body is None else t.body.encode(),
        )
        for t in templates
    ]
    total = sum(t.weight for t in templates)
    current = [0] * len(templates)
    order: list[_Prepared] = []
    for _ in range(total):
        for i, template in enumerate(templates):
            current[i] += template.weight
        chosen = max(range(len(templates)), key=lambda i: current[i])
        current[chosen] -= total
        order.append(prepared[chosen])
    return order


async def run_load(
    base_url: str,
    shape: LoadShape,
    requests: list[RequestTemplate],
    *,
    timeout: timedelta,
    max_in_flight: int,
    on_progress: Callable[[LoadProgress], None] | None = None,
    progress_every: timedelta = timedelta(seconds=1),
    headers: dict[str, str] | None = None,
    session: aiohttp.ClientSession | None = None,
    error_statuses: Collection[int] = ERROR_STATUSES,
) -> LoadSummary:
    """Send `shape`'s requests to `base_url` (paths from `requests`, cycled by weight) and measure them.

    `headers` go on every request (a template's own win). Redirects are not followed: a 3xx is an
    answer. Without `session`, one is made for the run (HTTP/1.1 keep-alive, up to max_in_flight
    connections, no cookies kept, no proxy from the environment) and closed after it. Cancelling the
    call stops sending at once, cancels the requests in flight and closes the session it made.
    """
    if not requests:
        raise ValueError("at least one request template is needed")
    if max_in_flight < 1:
        raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}")
    if timeout <= timedelta(0) or progress_every <= timedelta(0):
        raise ValueError("timeout and progress_every must be positive")
    order = _cycle(base_url, requests, headers or {})
    own = session is None
    if session is None:
        # The run's own timeout (asyncio.timeout per request) is the only one: no second timer each.
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max_in_flight),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),
        )
    try:
        run = _Run(session, order, timeout.total_seconds(), max_in_flight, frozenset(error_statuses))
        return await run.go(shape, on_progress, progress_every.total_seconds())
    finally:
        if own:
            await session.close()


class _Run:
    """One run's counters and in-flight tasks; all on one event loop, so plain ints suffice."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        order: list[_Prepared],
        timeout_s: float,
        max_in_flight: int,
        error_statuses: frozenset[int],
    ) -> None:
        self._session = session
        self._order = order
        self._timeout_s = timeout_s
        self._max_in_flight = max_in_flight
        self._error_statuses = error_statuses
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._latency = LatencyHistogram()
        self._lag = LatencyHistogram()
        self.intended = self.sent = self.completed = 0
        self.error_responses = self.transport_errors = self.timeouts = self.shed = 0
        self.first_error: str | None = None

    @property
    def errors(self) -> int:
        return self.shed + self.timeouts + self.transport_errors + self.error_responses

    async def go(
        self, shape: LoadShape, on_progress: Callable[[LoadProgress], None] | None, every_s: float
    ) -> LoadSummary:
        loop = self._loop
        total = shape.intended
        start = loop.time()
        next_report = start + every_s
        index = 0
        due = start + shape.due_at(0)
        try:
            # The schedule: wake when the next request is due (the loop's timers are ~1 ms coarse, so
            # at thousands/s each wake launches the few that came due together), never earlier.
            while index < total:
                now = loop.time()
                while due <= now:
                    self._launch(due, self._order[index % len(self._order)])
                    index += 1
                    if index == total:
                        break
                    due = start + shape.due_at(index)
                if now >= next_report:
                    next_report = self._report(on_progress, start, now, next_report, every_s)
                if index < total:
                    await asyncio.sleep(min(due, next_report) - loop.time())
            # The tail: requests still in flight end (or time out) on their own.
            while self._tasks:
                await asyncio.wait(self._tasks, timeout=max(0.0, next_report - loop.time()))
                now = loop.time()
                if now >= next_report:
                    next_report = self._report(on_progress, start, now, next_report, every_s)
        except BaseException:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            raise
        duration = max(loop.time() - start, shape.duration.total_seconds())
        return self._summary(duration)

    def _launch(self, intended: float, request: _Prepared) -> None:
        self.intended += 1
        if len(self._tasks) >= self._max_in_flight:
            self.shed += 1
            return
        self.sent += 1
        task = self._loop.create_task(self._send(intended, request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, intended: float, request: _Prepared) -> None:
        self._lag.record(self._loop.time() - intended)
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._session.request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    data=request.content,
                    allow_redirects=False,
                ) as response:
                    await response.read()
        except TimeoutError:  # ours, or one of a given session's (aiohttp's are TimeoutErrors too)
            self.timeouts += 1
            self._note(f"timed out after {self._timeout_s:g} s")
        except Exception as error:  # aiohttp.ClientError, OSError, a header aiohttp refuses...: this
            # request's error, never the run's (which counts it and goes on)
            self.transport_errors += 1
            self._note(f"{type(error).__name__}: {error}")
        else:
            self.completed += 1
            if response.status in self._error_statuses:
                self.error_responses += 1
        self._latency.record(self._loop.time() - intended)

    def _note(self, error: str) -> None:
        if self.first_error is None:
            self.first_error = error[:FIRST_ERROR_CHARS]

    def _report(
        self,
        on_progress: Callable[[LoadProgress], None] | None,
        start: float,
        now: float,
        next_report: float,
        every_s: float,
    ) -> float:
        """Tell on_progress how far the run is; return when to tell it next."""
        if on_progress is not None:
            on_progress(
                LoadProgress(
                    elapsed_s=now - start,
                    intended=self.intended,
                    sent=self.sent,
                    completed=self.completed,
                    errors=self.errors,
                    shed=self.shed,
                    in_flight=len(self._tasks),
                    p50_ms=self._latency.quantile_ms(0.50),
                    p99_ms=self._latency.quantile_ms(0.99),
                )
            )
        following = next_report + every_s
        return following if following > now else now + every_s

    def _summary(self, duration_s: float) -> LoadSummary:
        latency = self._latency
        return LoadSummary(
            intended=self.intended,
            sent=self.sent,
            completed=self.completed,
            errors=self.errors,
            error_responses=self.error_responses,
            transport_errors=self.transport_errors,
            timeouts=self.timeouts,
            shed=self.shed,
            duration_s=duration_s,
            achieved_rps=self.completed / duration_s,
            error_rate=self.errors / self.intended if self.intended else 0.0,
            p50_ms=latency.quantile_ms(0.50),
            p95_ms=latency.quantile_ms(0.95),
            p99_ms=latency.quantile_ms(0.99),
            max_ms=latency.max_ms,
            send_lag_p99_ms=self._lag.quantile_ms(0.99),
            latency_buckets=latency.buckets_ms(),
            first_error=self.first_error,
        )
