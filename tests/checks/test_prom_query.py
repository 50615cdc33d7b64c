"""`kind: query` with PromQL against a real Prometheus scraping the exporter of tests/prometheus
(blue's p99 is 120 ms, green's 310 ms)."""

import asyncio
import time

import httpx
import pytest

from cutover.checks.prom_query import run_prometheus
from cutover.checks.results import CheckResult, CheckVerdict
from cutover.demo.local_servers import free_port
from cutover.plan.checks import PrometheusQuery
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.errors import PermanentError

SCRAPED_TIMEOUT = 60.0  # seconds for Prometheus's first scrape, however slow the machine


@pytest.fixture(scope="module")
async def prometheus(prometheus_url: str) -> str:
    """The Prometheus once it holds both environments' p99 (its first scrape is a second away)."""
    deadline = time.monotonic() + SCRAPED_TIMEOUT
    query = PrometheusQuery(expr="count(request_latency_p99_ms) == 2")
    while (await run_prometheus("scraped", query, prometheus_url, {})).verdict is not CheckVerdict.PASS:
        if time.monotonic() > deadline:
            raise AssertionError("prometheus never scraped the exporter")
        await asyncio.sleep(0.5)
    return prometheus_url


async def check(url: str, expr: str, headers: dict[str, str] | None = None) -> CheckResult:
    return await run_prometheus("latency", PrometheusQuery(expr=expr), url, headers or {})


async def test_an_expression_that_holds_passes(prometheus: str) -> None:
    result = await check(prometheus, 'request_latency_p99_ms{env="blue"} < 200')
    assert result.verdict is CheckVerdict.PASS, result.summary
    assert result.summary == "the expression holds: 1 sample(s), all non-zero"
    assert result.figures == {"samples": 1, "failing": 0, "min": 120.0, "value": 120.0}
    assert 'env="blue"' in result.excerpt and result.kind == "query"


async def test_a_comparison_that_returns_nothing_fails(prometheus: str) -> None:
    result = await check(prometheus, 'request_latency_p99_ms{env="green"} < 200')
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == "the expression does not hold: it returned no samples"
    assert result.figures == {"samples": 0, "failing": 0}


async def test_a_bool_comparison_names_the_series_that_is_zero(prometheus: str) -> None:
    result = await check(prometheus, "request_latency_p99_ms < bool 200")
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary.startswith("1 of 2 sample(s) do not hold: {")
    assert 'env="green"' in result.summary and result.summary.endswith("} is 0")
    assert result.figures["samples"] == 2 and result.figures["failing"] == 1 and result.figures["min"] == 0


async def test_a_scalar_and_a_nan(prometheus: str) -> None:
    held = await check(prometheus, "scalar(max(request_latency_p99_ms)) > bool 300")
    assert held.verdict is CheckVerdict.PASS and held.figures["value"] == 1
    nothing_to_measure = await check(prometheus, "0 / 0")  # no traffic: an error rate of NaN never holds
    assert nothing_to_measure.verdict is CheckVerdict.FAIL
    assert nothing_to_measure.summary == "1 of 1 sample(s) do not hold: scalar is nan"
    assert "min" not in nothing_to_measure.figures  # figures stay finite (JSON)


async def test_a_syntax_error_errs_with_prometheus_words(prometheus: str) -> None:
    result = await check(prometheus, "sum(request_latency_p99_ms")
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("Prometheus refused the query: bad_data: ")
    assert "parse error" in result.summary and "\n" not in result.summary


async def test_a_range_vector_errs(prometheus: str) -> None:
    result = await check(prometheus, "request_latency_p99_ms[1m]")
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("the expression is a range vector")


async def test_no_prometheus_errs() -> None:
    result = await check(f"http://127.0.0.1:{free_port()}", "up")
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("no answer from Prometheus: ")


async def test_the_endpoint_headers_are_sent_and_never_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization", ""))
        return httpx.Response(401, json={"status": "error", "errorType": "auth", "error": "who are you"})

    monkeypatch.setenv("PROM_TOKEN", "Bearer t0k3n")
    url, headers = ChecksConfig.model_validate(
        {"prometheus": {"url": "https://prom.example/", "headers": {"Authorization": "env:PROM_TOKEN"}}}
    ).prometheus_endpoint()
    assert url == "https://prom.example"
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        result = await run_prometheus("x", PrometheusQuery(expr="up"), url, headers, client)
    assert seen == ["Bearer t0k3n"]
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary == "Prometheus refused the query: auth: who are you"
    assert "t0k3n" not in result.model_dump_json()


def test_the_endpoint_the_worker_lacks_is_permanent_and_named() -> None:
    with pytest.raises(PermanentError, match="^checks.prometheus: the worker's platform config has no"):
        ChecksConfig().prometheus_endpoint()
    with pytest.raises(PermanentError, match="^checks.prometheus.headers.Authorization: NOT_SET_ANYWHERE is"):
        ChecksConfig.model_validate(
            {"prometheus": {"url": "http://prom:9090", "headers": {"Authorization": "env:NOT_SET_ANYWHERE"}}}
        ).prometheus_endpoint()
    with pytest.raises(ValueError, match="must not carry a user or password"):
        ChecksConfig.model_validate({"prometheus": {"url": "http://me:pw@prom:9090"}})
