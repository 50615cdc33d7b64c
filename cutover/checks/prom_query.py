"""PromQL data checks (`kind: query`, `prometheus:`): an expression that must hold, now.

One instant query (`/api/v1/query`). The expression holds when it returns at least one sample and
every sample is non-zero: a comparison (`x < 0.01`) returns only the series for which it is true, so
an empty answer fails; with `bool` (`x < bool 0.01`) every series answers 0 or 1, and a 0 fails it.
NaN (0/0: no traffic) never holds. An answer Prometheus refuses (bad PromQL, a timeout, a range
vector) or no answer at all errs: the check could not tell. The endpoint's headers (credentials)
never reach the result.
"""

import math
import time
from typing import Any

import httpx

from cutover.checks.results import CheckResult, CheckVerdict, found, one_line
from cutover.plan.checks import PrometheusQuery

QUERY_TIMEOUT = 60.0  # seconds for the query; the check's own timeout bounds the whole of it
SHOWN_SERIES = 50  # series listed in the excerpt

Sample = tuple[str, float]  # a series (as PromQL writes it) and its value


async def run_prometheus(
    name: str,
    query: PrometheusQuery,
    url: str,
    headers: dict[str, str],
    client: httpx.AsyncClient | None = None,
    *,
    timeout: float = QUERY_TIMEOUT,
) -> CheckResult:
    """Ask Prometheus at `url` (with the endpoint's `headers`) for `query.expr` now, and judge it."""
    started = time.monotonic()
    owned = client is None
    http = client or httpx.AsyncClient(timeout=timeout + 5, follow_redirects=False)
    try:
        # POST (form) carries an expression of any length; `timeout` bounds its evaluation
        response = await http.post(
            url.rstrip("/") + "/api/v1/query",
            data={"query": query.expr, "timeout": f"{timeout:g}s"},
            headers=headers,
        )
    except httpx.HTTPError as error:
        problem = f"no answer from Prometheus: {one_line(str(error) or type(error).__name__)}"
        return _error(name, problem, started)
    finally:
        if owned:
            await http.aclose()
    try:
        answer = response.json()
    except ValueError:
        return _error(
            name, f"Prometheus answered {response.status_code} without JSON", started, response.text
        )
    if not isinstance(answer, dict) or answer.get("status") != "success":
        return _error(name, _refusal(response.status_code, answer), started, response.text)
    samples = _samples(answer.get("data"))
    if isinstance(samples, str):
        return _error(name, samples, started, response.text)
    return _result(name, samples, time.monotonic() - started)


def _refusal(status: int, answer: Any) -> str:
    """Prometheus's own words for an error: `bad_data: 1:5: parse error: ...`."""
    if isinstance(answer, dict) and answer.get("error"):
        kind = answer.get("errorType")
        return one_line(f"Prometheus refused the query: {kind + ': ' if kind else ''}{answer['error']}")
    return f"Prometheus answered {status} without a result"


def _samples(data: Any) -> list[Sample] | str:
    """The samples of an instant query's answer, or what is wrong with it."""
    if not isinstance(data, dict):
        return "Prometheus answered without data"
    kind, result = data.get("resultType"), data.get("result", [])
    try:
        if kind == "vector":
            return [(_series(item.get("metric", {})), _value(item["value"][1])) for item in result]
        if kind == "scalar":
            return [("scalar", _value(result[1]))]
    except (TypeError, KeyError, IndexError, ValueError):
        return f"Prometheus answered a {kind} the check cannot read"
    if kind == "matrix":
        return "the expression is a range vector: give an instant one (e.g. max_over_time(x[5m]) < 1)"
    return f"the expression gives a {kind}, not numbers"


def _value(text: Any) -> float:
    return float(text)  # Prometheus writes values as strings: "0.5", "NaN", "+Inf"


def _series(labels: dict[str, str]) -> str:
    """A series as PromQL writes it: name{label="value",...}, or {} for a result without labels."""
    metric = labels.get("__name__", "")
    rest = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()) if key != "__name__")
    return f"{metric}{{{rest}}}" if rest or not metric else metric


def _holds(value: float) -> bool:
    return value != 0 and not math.isnan(value)


def _result(name: str, samples: list[Sample], seconds: float) -> CheckResult:
    failing = [(series, value) for series, value in samples if not _holds(value)]
    figures: dict[str, float] = {"samples": len(samples), "failing": len(failing)}
    finite = [value for _, value in samples if math.isfinite(value)]
    if finite:
        figures["min"] = min(finite)
    if len(finite) == len(samples) == 1:
        figures["value"] = finite[0]
    listed = "\n".join(f"{series} {value:g}" for series, value in samples[:SHOWN_SERIES])
    if len(samples) > SHOWN_SERIES:
        listed += f"\n({len(samples) - SHOWN_SERIES} more series)"
    if not samples:
        verdict = CheckVerdict.FAIL
        summary = "the expression does not hold: it returned no samples"
    elif failing:
        verdict = CheckVerdict.FAIL
        series, value = failing[0]
        more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
        summary = f"{len(failing)} of {len(samples)} sample(s) do not hold: {series} is {value:g}{more}"
    else:
        verdict = CheckVerdict.PASS
        summary = f"the expression holds: {len(samples)} sample(s), all non-zero"
    return found(name, "query", verdict, summary, seconds, figures, listed)


def _error(name: str, problem: str, started: float, body: str = "") -> CheckResult:
    return found(name, "query", CheckVerdict.ERROR, problem, time.monotonic() - started, evidence=body)
