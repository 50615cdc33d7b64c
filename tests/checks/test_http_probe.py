"""`kind: http` against real HTTP servers on loopback: a healthy blue, a green that is wrong in each
way a probe can see, one that never answers, and one that is right only after a while."""

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from cutover.checks.http_probe import run_probes
from cutover.checks.results import CheckVerdict
from cutover.plan.checks import HttpSettings


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def routes(calls: list[str], *, broken: bool, flaky_until: int = 0) -> web.Application:
    async def health(request: web.Request) -> web.Response:
        calls.append(request.headers.get("X-Token", ""))
        if len(calls) <= flaky_until:
            return web.Response(status=503, text="warming up")
        if broken:
            return web.json_response({"status": "degraded", "items": [{"id": 7}]}, headers={"X-Env": "green"})
        return web.json_response({"status": "ok", "items": [{"id": 7}]}, headers={"X-Env": "blue"})

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/slow", slow)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def servers() -> AsyncIterator[dict[str, Any]]:
    blue_calls: list[str] = []
    green_calls: list[str] = []
    blue, blue_url = await serve(routes(blue_calls, broken=False))
    green, green_url = await serve(routes(green_calls, broken=True))
    yield {"blue": blue_url, "green": green_url, "blue_calls": blue_calls, "green_calls": green_calls}
    await blue.cleanup()
    await green.cleanup()


def settings(
    targets: dict[str, str], *requests: dict[str, Any], sides: list[str], retries: int = 0
) -> HttpSettings:
    return HttpSettings.model_validate(
        {"targets": targets, "environments": sides, "requests": list(requests), "retries": retries}
    )


async def test_every_probe_right_in_every_environment_passes(servers: dict[str, Any]) -> None:
    probe = {"path": "/health", "expect": {"json_fields": {"items.0.id": 7}}}
    targets = {"blue": servers["blue"], "green": servers["green"]}
    result = await run_probes("e2e", settings(targets, probe, sides=["blue", "green"]), {})
    assert result.verdict is CheckVerdict.PASS, result.summary
    assert result.figures["probes"] == 2 and result.figures["failed"] == 0
    assert "blue_max_ms" in result.figures and "green_max_ms" in result.figures


@pytest.mark.parametrize(
    ("expect", "problem"),
    [
        ({"status": [204]}, "green GET /health: status 200, expected 204"),
        ({"headers": {"X-Env": "blue"}}, "green GET /health: header X-Env: 'green', expected 'blue'"),
        ({"json_fields": {"status": "ok"}}, 'green GET /health: JSON status: "degraded", expected "ok"'),
        ({"json_fields": {"items.3.id": 7}}, "green GET /health: JSON items.3.id: missing, expected 7"),
    ],
)
async def test_a_wrong_answer_fails_naming_what_is_wrong(
    servers: dict[str, Any], expect: dict[str, Any], problem: str
) -> None:
    probe = {"path": "/health", "expect": expect}
    result = await run_probes("e2e", settings({"green": servers["green"]}, probe, sides=["green"]), {})
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == problem
    assert '"degraded"' in result.excerpt  # the body, as evidence


async def test_too_slow_fails(servers: dict[str, Any]) -> None:
    probe = {"path": "/slow", "expect": {"max_ms": 100}}
    result = await run_probes("e2e", settings({"green": servers["green"]}, probe, sides=["green"]), {})
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary.startswith("green GET /slow: took ") and result.summary.endswith(
        "expected at most 100 ms"
    )


async def test_retried_until_right_within_the_bound() -> None:
    calls: list[str] = []
    runner, url = await serve(routes(calls, broken=False, flaky_until=2))
    try:
        result = await run_probes(
            "e2e",
            settings({"green": url}, {"path": "/health"}, sides=["green"], retries=2),
            {},
            sleep=no_sleep,
        )
        assert result.verdict is CheckVerdict.PASS and len(calls) == 3
        calls.clear()
        result = await run_probes(
            "e2e",
            settings({"green": url}, {"path": "/health"}, sides=["green"], retries=1),
            {},
            sleep=no_sleep,
        )
        assert result.verdict is CheckVerdict.FAIL and len(calls) == 2
        assert result.summary == "green GET /health: status 503, expected 200"
    finally:
        await runner.cleanup()


async def test_no_answer_is_an_error_not_a_failure() -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    probe = {"path": "/health"}
    result = await run_probes(
        "e2e",
        settings({"green": f"http://127.0.0.1:{port}"}, probe, sides=["green"], retries=1),
        {},
        sleep=no_sleep,
    )
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("green GET /health: no answer")


async def test_the_credential_headers_are_sent_and_never_reported(servers: dict[str, Any]) -> None:
    result = await run_probes(
        "e2e", settings({"blue": servers["blue"]}, {"path": "/health"}, sides=["blue"]), {"X-Token": "s3cret"}
    )
    assert servers["blue_calls"] == ["s3cret"]
    assert "s3cret" not in result.model_dump_json()
