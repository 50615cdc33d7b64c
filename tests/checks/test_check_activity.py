"""run_check: the check as planned, its credential's headers from the worker's config (a value or an
env: variable), against a real HTTP server; a credential the worker lacks is permanent and names it."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from cutover.activities.check_activities import CheckActivities, CheckRun
from cutover.checks.results import CheckVerdict
from cutover.plan.checks import Check, Stage
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.local import LocalEnvironment
from tests.checks.test_http_probe import serve

NO_CLUSTER = LocalEnvironment("/nonexistent/local-env.json")  # an http check never touches it


@pytest.fixture
async def guarded() -> AsyncIterator[str]:
    """A green that answers 200 only with the right token."""

    async def health(request: web.Request) -> web.Response:
        return web.Response(status=200 if request.headers.get("Authorization") == "Bearer t0k3n" else 401)

    app = web.Application()
    app.router.add_get("/health", health)
    runner, url = await serve(app)
    yield url
    await runner.cleanup()


def run(url: str, credentials: str | None) -> CheckRun:
    check = Check.model_validate(
        {
            "name": "e2e",
            "kind": "http",
            "stages": ["final"],
            "http": {
                "targets": {"green": url, "credentials": credentials},
                "requests": [{"path": "/health"}],
            },
        }
    )
    return CheckRun(migration_id="m-1", stage=Stage.FINAL, check=check, blue_env="blue", green_env="green")


def config(value: str) -> ChecksConfig:
    return ChecksConfig.model_validate({"credentials": {"shop": {"headers": {"Authorization": value}}}})


async def test_the_named_credential_from_the_environment_is_sent(
    guarded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_TOKEN", "Bearer t0k3n")
    result = await ActivityEnvironment().run(
        CheckActivities(config("env:SHOP_TOKEN"), NO_CLUSTER).run_check, run(guarded, "shop")
    )
    assert result.verdict is CheckVerdict.PASS, result.summary
    assert "t0k3n" not in result.model_dump_json()


async def test_without_the_credential_green_refuses_and_the_check_fails(guarded: str) -> None:
    result = await ActivityEnvironment().run(
        CheckActivities(ChecksConfig(), NO_CLUSTER).run_check, run(guarded, None)
    )
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == "green GET /health: status 401, expected 200"


@pytest.mark.parametrize(
    ("secrets", "problem"),
    [
        (ChecksConfig(), "checks.credentials: the worker's platform config has no 'shop'"),
        (
            config("env:NOT_SET_ANYWHERE"),
            "checks.credentials.shop.headers.Authorization: NOT_SET_ANYWHERE is not set",
        ),
    ],
)
async def test_a_credential_the_worker_lacks_is_permanent_and_named(
    guarded: str, secrets: ChecksConfig, problem: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(CheckActivities(secrets, NO_CLUSTER).run_check, run(guarded, "shop"))
    assert caught.value.non_retryable
    assert str(caught.value).startswith(problem)


async def test_a_load_check_sends_the_credential_and_heartbeats_its_progress(guarded: str) -> None:
    check = Check.model_validate(
        {
            "name": "stress",
            "kind": "load",
            "stages": ["validation"],
            "load": {
                "targets": {"green": guarded, "credentials": "shop"},
                "rate": 100,
                "duration": "3s",
                "requests": [{"path": "/health"}],
            },
        }
    )
    beats: list[tuple[object, ...]] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    load = CheckRun(
        migration_id="m-1", stage=Stage.VALIDATION, check=check, blue_env="blue", green_env="green"
    )
    result = await env.run(CheckActivities(config("Bearer t0k3n"), NO_CLUSTER).run_check, load)
    assert result.verdict is CheckVerdict.PASS, result.summary
    assert result.figures["green_requests"] == 300 and result.figures["green_error_rate"] == 0
    progress = [str(d[0]) for d in beats if d]
    assert any(line.startswith("green ") and " sent, " in line for line in progress), beats
    assert "t0k3n" not in result.model_dump_json()
