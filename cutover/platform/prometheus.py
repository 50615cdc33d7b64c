"""MetricsSource over the Prometheus HTTP API, with a PromQL template per metric.

Templates use $env, $namespace and $service (PromQL's own braces stay untouched), e.g.
  sum(rate(http_requests_total{code=~"5..",env="$env",service="$service"}[5m]))
    / sum(rate(http_requests_total{env="$env",service="$service"}[5m]))
"""

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from string import Template
from typing import Any

from pydantic import BaseModel, Field

from cutover.analysis.counts import Baseline, LatencyThresholds, Side
from cutover.platform.errors import PermanentError, TransientError

Vector = list[tuple[dict[str, str], float]]  # the series of one evaluation: labels and value
Buckets = list[tuple[float, float]]  # (upper bound in ms, cumulative count), ascending, +Inf last


class PrometheusQueries(BaseModel):
    # Counts over the window ($window, e.g. "60s"), which the analysis judges:
    # sum(increase(http_requests_total{...}[$window])), the same with code=~"5..", and optionally
    # the number of latency observations (e.g. the histogram's _count); requests stand in for it.
    requests: str
    errors: str
    p99_latency_ms: str
    latency_samples: str | None = None
    # Optionally the latency histogram over the window, one series per bucket bound `le` with its
    # cumulative count: sum by (le) (increase(http_request_duration_seconds_bucket{...}[$window])).
    # With it the analysis counts slow requests; without it only the p99 is known.
    latency_buckets: str | None = None
    latency_bucket_unit_ms: float = Field(default=1000.0, gt=0)  # one unit of `le` (seconds: 1000)
    error_rate: str | None = None  # only for migrations started before 0.4 (one sample per step)


class PrometheusMetrics:
    def __init__(self, base_url: str, queries: PrometheusQueries, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.queries = queries
        self.timeout = timeout

    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        """(error rate, p99 ms) now; a series with no samples yet reads as 0."""
        # $window in a query shared with counts (p99) reads the last 5 minutes here
        names = {"env": env, "namespace": namespace, "service": service, "window": "5m"}
        if self.queries.error_rate is None:
            raise PermanentError("prometheus query `error_rate` is needed by migrations started before 0.4")
        error_rate = self.instant(Template(self.queries.error_rate).substitute(names))
        latency = self.instant(Template(self.queries.p99_latency_ms).substitute(names))
        return error_rate or 0.0, latency or 0.0

    def counts(
        self,
        env: str,
        namespace: str,
        service: str,
        window: timedelta,
        latency: LatencyThresholds | None = None,
    ) -> Side:
        """Counts from the `requests` / `errors` templates; a series with no samples is zero requests
        and no p99, never a 0% error rate (increase() of nothing, or NaN, reads as none). With
        `latency` and `latency_buckets`, the samples are the histogram's and the slow counts come
        from its buckets; without the buckets they are None."""
        names = _names(env, namespace, service, int(window.total_seconds()))
        queries = self._queries(names, buckets=latency is not None)
        return self._side({name: self._vector(query) for name, query in queries.items()}, queries, latency)

    def baseline(
        self, env: str, namespace: str, service: str, period: timedelta, periods: int, limit_ms: float
    ) -> Baseline:
        """The last `periods` periods (whole seconds) up to now, one range query per template with
        $window the period. compare_ms is the p99 of the span's summed buckets, or without
        `latency_buckets` the `p99_latency_ms` template over the span (and no slow counts)."""
        step = max(1, math.ceil(period.total_seconds()))
        end = math.floor(time.time())
        start = end - (periods - 1) * step
        queries = self._queries(_names(env, namespace, service, step), buckets=True)
        per_period: list[dict[str, Vector]] = [{name: [] for name in queries} for _ in range(periods)]
        for name, query in queries.items():
            for labels, points in self._matrix(query, start, end, step):
                for at, value in points:
                    per_period[round((at - start) / step)][name].append((labels, value))
        if self.queries.latency_buckets is None:
            sides = tuple(self._side(vectors, queries, None) for vectors in per_period)
            span = _names(env, namespace, service, periods * step)
            compare_ms = self._span_p99(span, end) if any(side.latency_samples for side in sides) else None
            return Baseline(sides, float(step), compare_ms)
        unit = self.queries.latency_bucket_unit_ms
        compare_ms = quantile(_summed([_buckets(v["latency_buckets"], unit) for v in per_period]), 0.99)
        thresholds = LatencyThresholds(compare_ms, limit_ms)
        sides = tuple(self._side(vectors, queries, thresholds) for vectors in per_period)
        return Baseline(sides, float(step), compare_ms)

    def instant(self, query: str) -> float | None:
        """The single value of an instant query, or None when it returns no series."""
        return _single(self._vector(query), query)

    def range(self, query: str, start: datetime, end: datetime, step_seconds: int) -> list[float]:
        """The values of a single-series range query, oldest first."""
        result = self._matrix(query, start.timestamp(), end.timestamp(), step_seconds)
        return [value for _, value in result[0][1]] if result else []

    def _queries(self, names: dict[str, str], buckets: bool) -> dict[str, str]:
        """The configured queries a Side is read from, by template name; the buckets only if asked."""
        templates = {
            "requests": self.queries.requests,
            "errors": self.queries.errors,
            "p99_latency_ms": self.queries.p99_latency_ms,
            "latency_samples": self.queries.latency_samples,
            "latency_buckets": self.queries.latency_buckets if buckets else None,
        }
        return {name: Template(t).substitute(names) for name, t in templates.items() if t is not None}

    def _side(
        self, vectors: dict[str, Vector], queries: dict[str, str], latency: LatencyThresholds | None
    ) -> Side:
        """One window's Side from its queries' vectors (see counts)."""

        def value(name: str) -> float | None:
            return _single(vectors[name], queries[name])

        requests = round(value("requests") or 0.0)
        errors = round(value("errors") or 0.0)
        p99 = value("p99_latency_ms")
        slow = slow_over_limit = None
        if "latency_buckets" in vectors:
            buckets = _buckets(vectors["latency_buckets"], self.queries.latency_bucket_unit_ms)
            samples = round(buckets[-1][1]) if buckets else 0
            if latency is not None:
                slow = None if latency.compare_ms is None else slower_than(buckets, latency.compare_ms)
                slow_over_limit = slower_than(buckets, latency.limit_ms)
        else:
            samples = round(value("latency_samples") or 0.0) if "latency_samples" in vectors else requests
        return Side(
            requests=requests,
            errors=min(errors, requests),
            p99_ms=p99 if requests and samples else None,
            latency_samples=samples,
            slow=slow,
            slow_over_limit=slow_over_limit,
        )

    def _span_p99(self, names: dict[str, str], end: int) -> float | None:
        """The `p99_latency_ms` template with $window the whole span, evaluated at its end."""
        query = Template(self.queries.p99_latency_ms).substitute(names)
        return _single(self._vector(query, at=end), query)

    def _vector(self, query: str, at: float | None = None) -> Vector:
        """An instant query's series (at `at`, epoch seconds, or now)."""
        params = {"query": query} if at is None else {"query": query, "time": f"{at:.3f}"}
        return [(r["metric"], _number(r["value"][1])) for r in self._get("/api/v1/query", params)]

    def _matrix(
        self, query: str, start: float, end: float, step: int
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """A range query's series: labels and (epoch seconds, value) points, oldest first."""
        params = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(step)}
        return [
            (r["metric"], [(float(at), _number(value)) for at, value in r["values"]])
            for r in self._get("/api/v1/query_range", params)
        ]

    def _get(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}").get("error", error.reason)
            rejected = f"Prometheus rejected {params['query']!r}: {detail}"
            if error.code in (400, 422):  # the query itself is wrong
                raise PermanentError(rejected) from None
            raise TransientError(rejected) from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise TransientError(f"Prometheus at {self.base_url} unreachable: {error}") from None
        data = body["data"]
        if data["resultType"] not in ("vector", "matrix"):
            raise PermanentError(f"PromQL {params['query']!r} gave a {data['resultType']}, not a series")
        result: list[dict[str, Any]] = data["result"]
        return result


def slower_than(buckets: Buckets, threshold_ms: float) -> int | None:
    """The samples slower than threshold_ms: all (+Inf) minus the cumulative count at it,
    interpolated linearly inside its bucket as histogram_quantile does. None above the highest
    finite bound while samples lie beyond it: the histogram cannot tell how many are slower."""
    if not buckets:
        return 0
    total = buckets[-1][1]
    lower, below = 0.0, 0.0
    for bound, cumulative in buckets[:-1]:
        if threshold_ms <= bound:
            share = 0.0 if threshold_ms <= lower else (threshold_ms - lower) / (bound - lower)
            return round(total - below - (cumulative - below) * share)
        lower, below = bound, cumulative
    return 0 if round(total - below) == 0 else None


def quantile(buckets: Buckets, q: float) -> float | None:
    """histogram_quantile(q): linear inside the bucket that holds the q-th sample, the highest
    finite bound if it lies beyond; None without samples or finite buckets."""
    if not buckets or not buckets[-1][1]:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for bound, cumulative in buckets[:-1]:
        if cumulative >= rank:
            return lower + (bound - lower) * (rank - below) / (cumulative - below)
        lower, below = bound, cumulative
    return lower if len(buckets) > 1 else None


def _summed(histograms: list[Buckets]) -> Buckets:
    """The buckets of several windows added bound by bound."""
    summed: dict[float, float] = {}
    for buckets in histograms:
        for bound, count in buckets:
            summed[bound] = summed.get(bound, 0.0) + count
    return sorted(summed.items())


def _buckets(vector: Vector, unit_ms: float) -> Buckets:
    """Bucket bounds in ms with their cumulative counts, ascending; counts made monotonic, as
    histogram_quantile does (increase() extrapolates each series on its own)."""
    buckets: Buckets = []
    for labels, count in sorted(vector, key=lambda series: _bound(series[0])):
        bound = _bound(labels) * unit_ms
        buckets.append((bound, max(count, buckets[-1][1] if buckets else 0.0)))
    if buckets and buckets[-1][0] != math.inf:
        raise PermanentError('PromQL `latency_buckets` returned no le="+Inf" bucket')
    return buckets


def _bound(labels: dict[str, str]) -> float:
    if "le" not in labels:
        raise PermanentError(f"PromQL `latency_buckets` returned a series without `le`: {labels}")
    return float(labels["le"])


def _single(vector: Vector, query: str) -> float | None:
    """The value of a query that gives one series, None when it gives none."""
    if not vector:
        return None
    if len(vector) > 1:
        raise PermanentError(f"PromQL {query!r} returned {len(vector)} series; expected one")
    return vector[0][1]


def _names(env: str, namespace: str, service: str, window_seconds: int) -> dict[str, str]:
    return {"env": env, "namespace": namespace, "service": service, "window": f"{window_seconds}s"}


def _number(value: str) -> float:
    number = float(value)
    return 0.0 if number != number else number  # NaN (e.g. 0/0 with no traffic) reads as 0
