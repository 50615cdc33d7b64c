"""The plan's checks in whole migrations: an http check against real servers (a healthy blue, a green
whose answer is wrong) at a stage, and what its failure does by on_fail: roll back, pause, or nothing
but the record (advisory); the result is in the timeline, the status, the UI's details and the review."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from temporalio.testing import WorkflowEnvironment

from cutover.models import MigrationStatus, Outcome
from tests.checks.test_http_probe import serve
from tests.workflows.helpers import make_plan, migration
from tests.workflows.support import assert_restored


@pytest.fixture
async def servers() -> AsyncIterator[dict[str, str]]:
    """blue answers {"status": "ok"}; green answers {"status": "degraded"}."""

    def app(status: str) -> web.Application:
        async def health(_: web.Request) -> web.Response:
            return web.json_response({"status": status})

        application = web.Application()
        application.router.add_get("/health", health)
        return application

    blue, blue_url = await serve(app("ok"))
    green, green_url = await serve(app("degraded"))
    yield {"blue": blue_url, "green": green_url}
    await blue.cleanup()
    await green.cleanup()


def e2e(servers: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "name": "e2e",
        "kind": "http",
        "http": {
            "targets": servers,
            "requests": [{"path": "/health", "expect": {"json_fields": {"status": "ok"}}}],
            "retries": 0,
        },
        **fields,
    }


def check_lines(status: MigrationStatus) -> list[str]:
    return [e.message for e in status.timeline if e.kind == "check"]


async def test_a_failing_check_at_validation_rolls_back_with_its_evidence(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, servers: dict[str, str]
) -> None:
    plan = make_plan(checks=[e2e(servers, stages=["validation"])])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert (
        result.outcome_reason
        == 'check e2e at validation: fail: green GET /health: JSON status: "degraded", expected "ok"'
    )
    assert [c.result.verdict.value for c in result.checks] == ["fail"]
    assert check_lines(result)[0].startswith("check e2e at validation: fail (green GET /health")
    assert_restored(before, h.local.read())
    assert result.report_path and "check e2e at validation: fail" in Path(result.report_path).read_text()


async def test_a_failing_pause_check_holds_the_step_until_resume(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, servers: dict[str, str]
) -> None:
    plan = make_plan(checks=[e2e(servers, stages=["traffic-step"], weights=[25], on_fail="pause")])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        await h.at_gate("uat")
        await h.approve("uat")
        paused = await h.until(lambda s: s.paused)
        assert paused.weights["catalog"] == 25, "it pauses after the 25% bake, before the next step"
        assert "check e2e at traffic-step at 25% did not pass: paused" in paused.timeline[-1].message
        await h.handle.signal("resume", {"sender": "alice"})
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert [(c.stage, c.weight, c.on_fail) for c in result.checks] == [("traffic-step", 25, "pause")]


async def test_advisory_and_passing_checks_never_block(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, servers: dict[str, str]
) -> None:
    only_blue = {"blue": servers["blue"]}
    plan = make_plan(
        checks=[
            e2e(servers, stages=["final"], on_fail="advisory"),
            e2e(only_blue, name="blue-ok", stages=["preparation", "monitoring"])
            | {"http": {"targets": only_blue, "environments": ["blue"], "requests": [{"path": "/health"}]}},
        ]
    )
    async with migration(time_skipping_env, tmp_path, plan) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    ran = [(c.result.check, c.stage, c.result.verdict.value) for c in result.checks]
    assert ran == [
        ("blue-ok", "preparation", "pass"),
        ("e2e", "final", "fail"),
        ("blue-ok", "monitoring", "pass"),
    ]
    assert result.report_path
    review = Path(result.report_path).read_text()
    assert "## Checks" in review and "check e2e at final: fail" in review


async def test_uat_checks_run_while_the_uat_gate_is_open_and_a_failure_closes_it(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, servers: dict[str, str]
) -> None:
    plan = make_plan(checks=[e2e(servers, stages=["uat"])])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason.startswith("check e2e at uat: fail")
    assert result.open_gate is None
    kinds = [e.kind.value for e in result.timeline]
    assert kinds.index("gate-open") < kinds.index("check"), "the check ran while the gate was open"
    assert "approved" not in kinds


def suite(**fields: Any) -> dict[str, Any]:
    """A Job check: the shop's e2e suite, run once from its CronJob's template in green."""
    job = {"environment": "green", "namespace": "billing", "template": "cronjob/nightly-invoices"}
    return {"name": "e2e-suite", "kind": "job", "stages": ["final"], "job": job, **fields}


async def test_a_job_check_passes_and_its_job_is_gone(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path, make_plan(checks=[suite()])) as h:
        result = await h.run_approving_all()
        jobs = h.local.read()["jobs"]
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert [(c.result.check, c.result.verdict.value) for c in result.checks] == [("e2e-suite", "pass")]
    assert jobs == {}, "the check's Job is deleted once it has finished"


async def test_a_failing_job_check_rolls_back_with_its_log(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = make_plan(checks=[suite()])
    async with migration(time_skipping_env, tmp_path, plan, failures={"failing_job": "e2e-suite"}) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason.startswith("check e2e-suite at final: fail")
    assert result.checks[-1].result.excerpt, "the Job's log tail is the evidence"


def lag(servers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A continuous check at every look of the bakes and the monitoring window."""
    return e2e(servers, name="lag", stages=["traffic-step", "monitoring"], continuous=True) | fields


async def test_a_continuous_check_runs_at_every_look_and_its_failure_rolls_back_within_the_bake(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, servers: dict[str, str]
) -> None:
    plan = make_plan(checks=[lag(servers)])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        await h.at_gate("uat")
        await h.approve("uat")
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    first_bake = f"bake at {plan.traffic.steps[0]}%"
    assert result.outcome_reason.startswith(f"check lag at {first_bake}: fail: green GET /health")
    assert [(c.stage, c.weight, c.result.verdict.value) for c in result.checks] == [
        ("traffic-step", plan.traffic.steps[0], "fail")
    ]
    assert check_lines(result) == [
        f"check lag at {first_bake} (1 looks): fail ({result.checks[0].result.summary})"
    ], "it failed at the bake's first look, not at its end"
    assert_restored(before, h.local.read())


async def test_continuous_checks_that_pass_or_are_advisory_run_at_every_look_and_never_block(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, servers: dict[str, str]
) -> None:
    only_blue = {"blue": servers["blue"]}
    healthy = {"targets": only_blue, "environments": ["blue"], "requests": [{"path": "/health"}]}
    plan = make_plan(checks=[lag(only_blue, http=healthy), lag(servers, name="advice", on_fail="advisory")])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    most = plan.traffic.bake // plan.analysis.interval
    lines = check_lines(result)
    for weight in plan.traffic.steps:
        ran = [line for line in lines if line.startswith(f"check lag at bake at {weight}% (")]
        assert len(ran) == 1, lines
        looks = int(ran[0].split("(")[1].split()[0])
        assert 2 <= looks <= most, ran
        assert ran[0].endswith("looks): pass (1 probe(s) answered as expected in blue)")
    assert any(line.startswith("check lag at intensive monitoring (") for line in lines)
    advice = [line for line in lines if line.startswith("check advice at bake at")]
    assert len(advice) == len(plan.traffic.steps), "a run of failures is told once, where it began"
    assert all(": fail (green GET /health" in line for line in advice)


@pytest.fixture
async def fronts() -> AsyncIterator[dict[str, str]]:
    """blue answers at once; green takes 500 ms: even a busy machine's blue is not half as slow."""

    def app(delay: float) -> web.Application:
        async def catalog(_: web.Request) -> web.Response:
            await asyncio.sleep(delay)
            return web.json_response([])

        application = web.Application()
        application.router.add_get("/api/catalog", catalog)
        return application

    blue, blue_url = await serve(app(0))
    green, green_url = await serve(app(0.5))
    yield {"blue": blue_url, "green": green_url}
    await blue.cleanup()
    await green.cleanup()


def comparison(targets: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "name": "load-comparison",
        "kind": "load",
        "stages": ["validation"],
        "load": {
            "targets": targets,
            "environments": ["blue", "green"],
            "rate": 200,
            "duration": "4s",
            "requests": [{"path": "/api/catalog"}],
            "expect": {"max_p99_ratio": 2},
        },
        **fields,
    }


async def test_a_load_comparison_with_a_slow_green_rolls_back_before_any_user(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, fronts: dict[str, str]
) -> None:
    plan = make_plan(checks=[comparison(fronts)])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason.startswith(
        "check load-comparison at validation: fail: green p99 <= 2 x blue's"
    )
    assert set(result.weights.values()) == {0}, "no user reached green"
    [record] = result.checks
    figures = record.result.figures
    assert figures["green_p99_ms"] > 450 and figures["p99_ratio"] > 2  # buckets 2% wide


async def test_an_advisory_load_comparison_goes_on_with_its_evidence(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, fronts: dict[str, str]
) -> None:
    plan = make_plan(checks=[comparison(fronts, on_fail="advisory")])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert [c.result.verdict.value for c in result.checks] == ["fail"]
    assert (
        result.report_path
        and "check load-comparison at validation: fail" in Path(result.report_path).read_text()
    )


@pytest.mark.parametrize(
    ("stage", "where"),
    [
        ("preparation", "preparation"),
        ("non-exposed", "non-exposed"),
        ("parallel", "parallel"),
        ("validation", "validation"),
        ("uat", "uat"),
        ("traffic-step", "traffic-step at 2%"),
        ("final", "final"),
        ("monitoring", "monitoring"),
    ],
)
async def test_a_failing_check_rolls_back_at_every_stage_with_its_evidence(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, servers: dict[str, str], stage: str, where: str
) -> None:
    plan = make_plan(checks=[e2e(servers, stages=[stage])])
    async with migration(time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        result = await h.run_approving_all()
    assert result.outcome == Outcome.ROLLED_BACK
    assert result.outcome_reason == (
        f'check e2e at {where}: fail: green GET /health: JSON status: "degraded", expected "ok"'
    )
    [record] = result.checks
    assert record.stage == stage and record.result.excerpt, "the evidence is kept"
    assert_restored(before, h.local.read())
    assert result.report_path and f"check e2e at {where}: fail" in Path(result.report_path).read_text()
