"""MetricsSource over the Prometheus HTTP API, with a PromQL template per metric.

Templates use $env, $namespace and $service (PromQL's own braces stay untouched), e.g.
  sum(rate(http_requests_total{code=~"5..",env="$env",service="$service"}[5m]))
    / sum(rate(http_requests_total{env="$env",service="$service"}[5m]))
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from string import Template
from typing import Any

from pydantic import BaseModel

from cutover.analysis.counts import Side
from cutover.platform.errors import PermanentError, TransientError


class PrometheusQueries(BaseModel):
    # Counts over the window ($window, e.g. "60s"), which the analysis judges:
    # sum(increase(http_requests_total{...}[$window])), the same with code=~"5..", and optionally
    # the number of latency observations (e.g. the histogram's _count); requests stand in for it.
    requests: str
    errors: str
    p99_latency_ms: str
    latency_samples: str | None = None
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

    def counts(self, env: str, namespace: str, service: str, window: timedelta) -> Side:
        """Counts from the `requests` / `errors` templates; a series with no samples is zero requests
        and no p99, never a 0% error rate (increase() of nothing, or NaN, reads as none)."""
        names = {
            "env": env,
            "namespace": namespace,
            "service": service,
            "window": f"{int(window.total_seconds())}s",
        }
        requests = round(self.instant(Template(self.queries.requests).substitute(names)) or 0.0)
        errors = round(self.instant(Template(self.queries.errors).substitute(names)) or 0.0)
        latency = self.instant(Template(self.queries.p99_latency_ms).substitute(names))
        samples_query = self.queries.latency_samples
        samples = (
            round(self.instant(Template(samples_query).substitute(names)) or 0.0)
            if samples_query
            else requests
        )
        return Side(
            requests=requests,
            errors=min(errors, requests),
            p99_ms=latency if requests and samples else None,
            latency_samples=samples,
        )

    def instant(self, query: str) -> float | None:
        """The single value of an instant query, or None when it returns no series."""
        result = self._get("/api/v1/query", {"query": query})
        if not result:
            return None
        if len(result) > 1:
            raise PermanentError(f"PromQL {query!r} returned {len(result)} series; expected one")
        return _number(result[0]["value"][1])

    def range(self, query: str, start: datetime, end: datetime, step_seconds: int) -> list[float]:
        """The values of a single-series range query, oldest first."""
        result = self._get(
            "/api/v1/query_range",
            {
                "query": query,
                "start": f"{start.timestamp():.3f}",
                "end": f"{end.timestamp():.3f}",
                "step": str(step_seconds),
            },
        )
        if not result:
            return []
        return [_number(value) for _, value in result[0]["values"]]

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


def _number(value: str) -> float:
    number = float(value)
    return 0.0 if number != number else number  # NaN (e.g. 0/0 with no traffic) reads as 0
