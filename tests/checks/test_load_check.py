"""`kind: load` against real HTTP servers on loopback (tests.checks.test_load's Server): a healthy green,
one with 5% errors, one slow beside a fast blue, a healthy A/A comparison, and a green nobody listens for.

Loads are small (100-200 requests/s for 2-3 s) and every bound is generous: a slow server is made
hundreds of milliseconds slow, so the verdicts do not depend on the machine's speed."""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from cutover.checks.load import LoadSummary
from cutover.checks.load_check import judged, max_in_flight, run_load_check
from cutover.checks.results import CheckVerdict
from cutover.demo.local_servers import free_port
from cutover.plan.checks import LoadSettings
from tests.checks.test_load import Server

CREDENTIAL = {"X-Api-Key": "s3cret-key-4d2b"}


def settings(urls: dict[str, str], rate: float, seconds: int, **expect: Any) -> LoadSettings:
    return LoadSettings.model_validate(
        {
            "targets": urls,
            "environments": sorted(urls),
            "rate": rate,
            "duration": f"{seconds}s",
            "requests": [{"path": "/", "weight": 19}, {"path": "/fail"}],
            "expect": expect,
        }
    )


@contextlib.asynccontextmanager
async def pair(blue: Server, green: Server) -> AsyncIterator[dict[str, str]]:
    async with blue.running(), green.running():
        yield {"blue": blue.url, "green": green.url}


async def test_a_healthy_green_passes_and_says_how_it_went() -> None:
    told: list[str] = []
    async with Server().running() as green:
        result = await run_load_check(
            "stress",
            settings({"green": green.url}, 100, 2, max_error_rate=0.01, max_p99_ms=3000),
            CREDENTIAL,
            told.append,
        )
    assert result.verdict is CheckVerdict.PASS, result
    assert (result.check, result.kind) == ("stress", "load")
    assert result.figures["green_requests"] == 200 and result.figures["green_error_rate"] == 0
    assert {"green_achieved_rps", "green_p50_ms", "green_p95_ms", "green_p99_ms"} <= set(result.figures)
    assert result.summary.startswith("green ") and "0.00% errors, p99" in result.summary
    assert "ok: green errors: 0 of 200 (0%), at most 1%" in result.excerpt
    assert "ok: green p99 <= 3000 ms" in result.excerpt
    assert told and all(line.startswith("green ") and "/200 sent" in line for line in told)
    assert "s3cret" not in result.model_dump_json()


async def test_a_green_answering_5_percent_500s_fails_its_error_rate() -> None:
    async with Server(status={"/fail": 500}).running() as green:  # one request in 20 is /fail
        result = await run_load_check("stress", settings({"green": green.url}, 100, 3), {})
    assert result.verdict is CheckVerdict.FAIL, result
    assert result.summary.startswith("green errors: 15 of 300 (5%), at least ")
    assert "> 1% allowed -- green " in result.summary
    assert result.figures["green_error_rate"] == 0.05
    assert "15 errors (15 error statuses, 0 timeouts" in result.excerpt


async def test_a_slow_green_fails_its_latency_limit() -> None:
    async with Server(delay={"/": 0.3, "/fail": 0.3}).running() as green:
        result = await run_load_check(
            "stress", settings({"green": green.url}, 50, 2, max_p95_ms=100, max_p50_ms=5000), {}
        )
    assert result.verdict is CheckVerdict.FAIL, result
    assert result.summary.startswith("green p95 <= 100 ms: slower: 100 of 100 (100%)")
    assert "ok: green p50 <= 5000 ms" in result.excerpt


async def test_a_green_slower_than_blue_fails_the_p99_ratio() -> None:
    # 600 requests a side: enough for blue's p99 to be bounded (528); green holds every answer 500 ms.
    async with pair(Server(), Server(delay={"/": 0.5, "/fail": 0.5})) as urls:
        result = await run_load_check(
            "compare",
            settings(urls, 200, 3, max_error_rate=1.0, max_p99_ratio=1.5, max_error_rate_increase=0.01),
            CREDENTIAL,
        )
    assert result.verdict is CheckVerdict.FAIL, result
    assert result.summary.startswith("green p99 <= 1.5 x blue's: green slower than ")
    assert "600 of 600 (100%)" in result.summary
    assert result.figures["p99_ratio"] > 1.5
    assert result.figures["blue_requests"] == result.figures["green_requests"] == 600
    assert "ok: green errors <= blue's + 1%" in result.excerpt


async def test_a_healthy_a_a_comparison_passes() -> None:
    async with pair(Server(status={"/fail": 500}), Server(status={"/fail": 500})) as urls:
        result = await run_load_check(
            "compare",
            settings(urls, 200, 3, max_error_rate=1.0, max_p99_ratio=2, max_error_rate_increase=0.01),
            CREDENTIAL,
        )
    assert result.verdict is CheckVerdict.PASS, result
    assert result.summary.startswith("blue ") and "; green " in result.summary and "(<= 2)" in result.summary
    assert "ok: green p99 <= 2 x blue's: green slower than" in result.excerpt
    assert "ok: green errors <= blue's + 1%: green 30 of 600 (5%), blue 30 of 600 (5%)" in result.excerpt


async def test_an_unreachable_green_errs_with_the_first_error() -> None:
    async with Server().running() as blue:
        urls = {"blue": blue.url, "green": f"http://127.0.0.1:{free_port()}"}
        result = await run_load_check("compare", settings(urls, 50, 1, max_error_rate_increase=0.01), {})
    assert result.verdict is CheckVerdict.ERROR, result
    assert result.summary.startswith("no answer from green: ")
    assert "connect" in result.summary.lower()
    assert "first error: " in result.excerpt and result.figures["green_requests"] == 50


def summary(**overrides: Any) -> LoadSummary:
    fields: dict[str, Any] = dict(
        intended=300,
        sent=300,
        completed=300,
        errors=0,
        error_responses=0,
        transport_errors=0,
        timeouts=0,
        shed=0,
        duration_s=3.0,
        achieved_rps=100.0,
        error_rate=0.0,
        p50_ms=1.0,
        p95_ms=2.0,
        p99_ms=3.0,
        max_ms=4.0,
        send_lag_p99_ms=1.0,
        latency_buckets=((1.0, 290), (3.0, 10)),
    )
    return LoadSummary(**{**fields, **overrides})


def test_a_generator_that_fell_behind_errs_rather_than_blaming_green() -> None:
    plan = settings({"green": "http://green.example"}, 100, 3, max_p99_ms=1)
    late = summary(send_lag_p99_ms=2500.0, p99_ms=2600.0, latency_buckets=((3000.0, 300),))
    result = judged("stress", plan, {"green": late}, 3.5)
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("the generator fell behind (green send lag p99 2.5 s, 300 of 300 sent)")
    hiccup = summary(send_lag_p99_ms=400.0)  # under LAG_FLOOR_S: the latencies judge green
    assert judged("stress", plan, {"green": hiccup}, 3.5).verdict is CheckVerdict.FAIL


def test_shedding_is_said_and_counts_as_errors() -> None:
    plan = settings({"green": "http://green.example"}, 100, 3)
    shed = summary(sent=200, completed=200, shed=100, errors=100, error_rate=1 / 3, achieved_rps=66.7)
    result = judged("stress", plan, {"green": shed}, 3.5)
    assert result.verdict is CheckVerdict.FAIL
    said = "green 67 req/s (of 100 planned): 33.33% errors, p99 3 ms, 100 shed at max in flight"
    assert said in result.summary


def test_in_flight_is_bounded_by_what_the_timeout_allows_and_the_cap() -> None:
    assert max_in_flight(100, timedelta(seconds=10), 1) == 1260
    assert max_in_flight(5000, timedelta(seconds=10), 2) == 5000
