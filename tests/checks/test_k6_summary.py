"""`job` checks with `summary: k6`: a load too heavy for the worker, run from a k6 template in green,
its end-of-test summary read back from the Job's log (through the API server double) and judged by the
plan's expect: the error rate by the binomial test, the latency limits against k6's percentiles."""

import asyncio
import json
from typing import Any

import pytest
from pydantic import ValidationError

from cutover.checks.k6_summary import judge_summary, read_summary
from cutover.checks.results import CheckVerdict
from cutover.plan.checks import JobSettings, LoadExpect
from cutover.platform.kubernetes.cluster import KubernetesCluster
from tests.checks.test_job_check import JOB, green, kube, play_controller, run  # noqa: F401
from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import NS, cronjob


def handle_summary(requests: int, failed_rate: float, p99: float) -> str:
    """One line as a script's handleSummary prints it (k6 nests each metric's numbers in `values`)."""
    metrics = {
        "http_reqs": {"type": "counter", "values": {"count": requests, "rate": requests / 300}},
        "http_req_failed": {"type": "rate", "values": {"rate": failed_rate, "passes": 0, "fails": 0}},
        "http_req_duration": {"type": "trend", "values": {"med": 41.0, "p(95)": 120.5, "p(99)": p99}},
    }
    return json.dumps({"metrics": metrics})


def test_the_summary_is_read_from_the_last_json_line_in_either_form() -> None:
    log = "running (5m00.0s), 0000/2000 VUs\n" + handle_summary(3_000_000, 0.002, 310.0) + "\n"
    summary = read_summary(log)
    assert summary is not None
    assert (summary.requests, summary.failed, summary.percentiles_ms["p(99)"]) == (3_000_000, 6_000, 310.0)
    assert summary.percentiles_ms["p(50)"] == 41.0 and summary.rate == 10_000
    exported = {  # k6 run --summary-export: no `values` level, the rate as `value`
        "metrics": {
            "http_reqs": {"count": 1000, "rate": 50.0},
            "http_req_failed": {"passes": 3, "fails": 997, "value": 0.003},
            "http_req_duration": {"p(95)": 80.0},
        }
    }
    flat = read_summary(f"{json.dumps(exported)}\nshutting down\n")
    assert flat is not None and (flat.requests, flat.failed, flat.percentiles_ms) == (
        1000,
        3,
        {"p(95)": 80.0},
    )
    assert read_summary('no summary here\n{"metrics": "truncated') is None


def test_the_error_rate_is_judged_by_the_counts_and_latency_against_k6s_percentiles() -> None:
    summary = read_summary(handle_summary(400, 0.015, 310.0))
    assert summary is not None
    ok, why = judge_summary(summary, LoadExpect(max_error_rate=0.01))[0]
    assert ok, "6 failures in 400 is no evidence of more than 1%"
    over = read_summary(handle_summary(3_000_000, 0.012, 310.0))
    assert over is not None
    judged = judge_summary(over, LoadExpect(max_error_rate=0.01, max_p99_ms=300, max_p95_ms=200))
    assert [ok for ok, _ in judged] == [False, True, False]
    assert judged[2][1] == "green p(99) <= 300 ms: k6 measured 310 ms"
    flat = read_summary(
        json.dumps({"metrics": {"http_reqs": {"count": 10, "rate": 1}, "http_req_failed": {"value": 0}}})
    )
    assert flat is not None
    missing = judge_summary(flat, LoadExpect(max_p99_ms=300))[1]
    assert missing == (False, "green p(99) <= 300 ms: the summary has no p(99) (add it to summaryTrendStats)")


def k6_settings(**expect: Any) -> JobSettings:
    return JobSettings(
        environment="green",
        namespace=NS,
        template="cronjob/k6-checkout",
        summary="k6",
        expect=LoadExpect.model_validate(expect) if expect else None,
    )


@pytest.mark.parametrize(
    ("log", "failed", "expect", "verdict", "said"),
    [
        (
            handle_summary(3_000_000, 0.001, 250.0),
            False,
            {"max_p99_ms": 300},
            CheckVerdict.PASS,
            "0.10% failed",
        ),
        (
            handle_summary(3_000_000, 0.001, 450.0),
            False,
            {"max_p99_ms": 300},
            CheckVerdict.FAIL,
            "k6 measured 450",
        ),
        (handle_summary(3_000_000, 0.03, 250.0), True, {}, CheckVerdict.FAIL, "failed: "),
        ("k6 crashed before its summary\n", False, {}, CheckVerdict.ERROR, "no k6 summary at the end"),
    ],
)
async def test_a_k6_job_is_judged_on_its_summary(
    green: ApiServerDouble,  # noqa: F811
    kube: KubernetesCluster,  # noqa: F811
    log: str,
    failed: bool,
    expect: dict[str, Any],
    verdict: CheckVerdict,
    said: str,
) -> None:
    green.put_object(cronjob("k6-checkout"))
    controller = asyncio.create_task(play_controller(green, log, failed=failed))
    result = await run(kube, k6_settings(**expect), "green")
    await controller
    assert result.verdict is verdict, result.summary
    assert said in result.summary
    if verdict is not CheckVerdict.ERROR:
        assert result.figures["requests"] == 3_000_000 and result.figures["99_ms"] in (250.0, 450.0)
    assert green.get_object("jobs", NS, JOB) is None, "deleted afterwards"


def test_expect_needs_a_summary_and_cannot_compare_with_blue() -> None:
    base = {"environment": "green", "namespace": NS, "template": "cronjob/k6-checkout"}
    with pytest.raises(ValidationError, match="expect: judges a load's summary; add summary: k6"):
        JobSettings.model_validate(base | {"expect": {"max_p99_ms": 300}})
    with pytest.raises(ValidationError, match="a `load` check does that"):
        JobSettings.model_validate(base | {"summary": "k6", "expect": {"max_p99_ratio": 1.5}})
