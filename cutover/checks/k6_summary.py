"""A load too heavy for the worker runs as a `job` check from a k6 template in green (`summary: k6`);
its end-of-test summary is read back from the end of the Job's log and judged by the plan's `expect`.

k6 prints the summary as JSON when the script's `handleSummary` returns it on stdout, e.g.

    export function handleSummary(data) {
      const m = data.metrics;
      return {stdout: JSON.stringify({metrics: {http_reqs: m.http_reqs,
        http_req_failed: m.http_req_failed, http_req_duration: m.http_req_duration}})};
    }

(the last JSON line of the log with `metrics` is taken; `--summary-export`'s flat form is read too).
The error rate is judged as the worker's loads are, by an exact binomial test of the counts against
`max_error_rate`; latency limits only against k6's own percentiles (`summaryTrendStats` must list
them, e.g. `p(99)`): k6 keeps no histogram to test, so they are points, as k6's thresholds are.
A comparison with blue (max_p99_ratio, max_error_rate_increase) needs both sides' runs: the worker's
generator does that.
"""

import json
from dataclasses import dataclass
from typing import Any

from cutover.checks import load_judgement as judge
from cutover.plan.checks import LoadExpect

QUANTILES = (("p(50)", "med", "max_p50_ms"), ("p(95)", None, "max_p95_ms"), ("p(99)", None, "max_p99_ms"))


@dataclass(frozen=True)
class K6Summary:
    requests: int
    rate: float  # requests/s over the run
    failed_rate: float  # http_req_failed: the share of requests k6 counted as failed
    percentiles_ms: dict[str, float]  # "p(95)" -> ms, as the summary gives them

    @property
    def failed(self) -> int:
        return round(self.failed_rate * self.requests)

    def figures(self) -> dict[str, float]:
        figures = {
            "requests": float(self.requests),
            "rps": round(self.rate, 1),
            "error_rate": self.failed_rate,
        }
        figures |= {f"{name.strip('p()')}_ms": round(ms, 2) for name, ms in self.percentiles_ms.items()}
        return figures


def read_summary(log: str) -> K6Summary | None:
    """The last k6 summary in the log's end, or None if there is none to read."""
    for line in reversed(log.splitlines()):
        line = line.strip()
        if not (line.startswith("{") and '"metrics"' in line):
            continue
        try:
            metrics = json.loads(line)["metrics"]
            return _summary(metrics)
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _summary(metrics: dict[str, Any]) -> K6Summary:
    reqs = _values(metrics["http_reqs"])
    failed = _values(metrics["http_req_failed"])
    duration = _values(metrics.get("http_req_duration", {}))
    failed_rate = failed["rate"] if "rate" in failed else failed["value"]
    percentiles = {}
    for name, alias, _ in QUANTILES:
        value = duration.get(name, duration.get(alias) if alias else None)
        if isinstance(value, int | float):
            percentiles[name] = float(value)
    return K6Summary(
        requests=int(reqs["count"]),
        rate=float(reqs["rate"]),
        failed_rate=float(failed_rate),
        percentiles_ms=percentiles,
    )


def _values(metric: dict[str, Any]) -> dict[str, Any]:
    """handleSummary nests a metric's numbers under `values`; --summary-export does not."""
    values = metric.get("values", metric)
    return values if isinstance(values, dict) else {}


def judge_summary(summary: K6Summary, expect: LoadExpect) -> list[judge.Judgement]:
    judgements = [judge.error_rate_within("green", summary.failed, summary.requests, expect.max_error_rate)]
    for name, _, field in QUANTILES:
        limit = getattr(expect, field)
        if limit is None:
            continue
        ms = summary.percentiles_ms.get(name)
        if ms is None:
            judgements.append(
                (
                    False,
                    f"green {name} <= {limit:g} ms: the summary has no {name} (add it to summaryTrendStats)",
                )
            )
        else:
            judgements.append((ms <= limit, f"green {name} <= {limit:g} ms: k6 measured {ms:.3g} ms"))
    return judgements
