"""`kind: webhook` against a real receiver on loopback that records each delivery and checks its
signature with the shared secret (hmac, as a receiver would, not our own helper); the callback token's
round trip; the webhook's config from the worker's environment. Secrets never reach a result."""

import asyncio
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from pydantic import ValidationError

from cutover.checks.callback import WebhookCallback, callback_result, token_digest
from cutover.checks.results import CheckVerdict
from cutover.checks.webhook import (
    WebhookContext,
    awaiting_callback,
    call_webhook,
    verify_callback_token,
    webhook_context,
)
from cutover.plan.checks import Stage
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.errors import PermanentError
from tests.checks.test_http_probe import no_sleep, serve

SECRET = "whsec-5f2a9c"
HEADER_VALUE = "Bearer ci-t0k3n-81d"
TIMEOUT = 10.0


@dataclass
class Receiver:
    """Answers each delivery with the next of `statuses` (the last one repeats); `echo` sends the
    request's headers back in the body, as a careless receiver would."""

    url: str = ""
    statuses: list[int] = field(default_factory=lambda: [200])
    echo: bool = False
    delay: float = 0.0
    seen: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Cutover-Signature", "")
        self.seen.append(
            {
                "signed": hmac.compare_digest(expected, given),
                "delivery": request.headers.get("X-Cutover-Delivery"),
                "authorization": request.headers.get("Authorization"),
                "context": json.loads(body),
            }
        )
        await asyncio.sleep(self.delay)
        status = self.statuses[min(len(self.seen), len(self.statuses)) - 1]
        text = json.dumps(dict(request.headers)) if self.echo else f"receiver says {status}"
        return web.Response(status=status, text=text)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/cutover", state.handle)
    runner, url = await serve(app)
    state.url = url + "/hooks/cutover"
    yield state
    await runner.cleanup()


def context(weight: int | None = 25) -> WebhookContext:
    return webhook_context(SECRET, "m-1", "e2e", Stage.TRAFFIC_STEP, weight, {"shop/api": 25})


async def deliver(receiver: Receiver, *, wait: bool = False, timeout: float = TIMEOUT) -> Any:
    return await call_webhook(
        "e2e",
        context(),
        receiver.url,
        SECRET,
        {"Authorization": HEADER_VALUE},
        timeout,
        wait_for_callback=wait,
        sleep=no_sleep,
    )


async def test_a_2xx_passes_and_the_receiver_got_the_signed_context(receiver: Receiver) -> None:
    result = await deliver(receiver)
    assert result.verdict is CheckVerdict.PASS, result.summary
    assert result.summary == "webhook answered 200"
    assert result.figures == {"status": 200, "attempts": 1, "awaiting_callback": 0}
    assert not awaiting_callback(result)
    [seen] = receiver.seen
    assert seen["signed"] and seen["authorization"] == HEADER_VALUE
    assert seen["delivery"] == "m-1/e2e/traffic-step/25"
    assert seen["context"] == {
        "migration_id": "m-1",
        "check": "e2e",
        "stage": "traffic-step",
        "weight": 25,
        "green_percent": {"shop/api": 25},
        "callback_token": context().callback_token,
        "attempt_key": "m-1/e2e/traffic-step/25",
    }


async def test_a_202_or_a_waiting_caller_passes_the_delivery_only(receiver: Receiver) -> None:
    receiver.statuses = [202]
    result = await deliver(receiver)
    assert result.verdict is CheckVerdict.PASS and awaiting_callback(result)
    assert result.summary == "webhook accepted the delivery (202); awaiting its callback"
    receiver.statuses = [200]
    assert awaiting_callback(await deliver(receiver, wait=True))


async def test_a_5xx_is_retried_within_the_bound_then_fails_with_the_status(receiver: Receiver) -> None:
    receiver.statuses = [500]
    result = await deliver(receiver)
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == "webhook answered 500 after 3 attempts: receiver says 500"
    assert result.figures["status"] == 500 and result.excerpt == "receiver says 500"
    assert len(receiver.seen) == 3
    assert {seen["delivery"] for seen in receiver.seen} == {"m-1/e2e/traffic-step/25"}  # one to dedupe


async def test_a_5xx_then_a_2xx_passes(receiver: Receiver) -> None:
    receiver.statuses = [503, 200]
    result = await deliver(receiver)
    assert result.verdict is CheckVerdict.PASS
    assert result.summary == "webhook answered 200 after 2 attempts"


async def test_a_4xx_fails_at_once(receiver: Receiver) -> None:
    receiver.statuses = [403]
    result = await deliver(receiver)
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == "webhook answered 403: receiver says 403"
    assert len(receiver.seen) == 1


async def test_no_answer_is_an_error() -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hooks"
    result = await call_webhook("e2e", context(), url, SECRET, {}, TIMEOUT, sleep=no_sleep)
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("webhook: no answer: ") and result.summary.endswith("after 3 attempts")
    assert result.figures["status"] == 0 and result.figures["attempts"] == 3


async def test_an_answer_too_late_is_an_error(receiver: Receiver) -> None:
    receiver.delay = 1.0
    result = await call_webhook("e2e", context(), receiver.url, SECRET, {}, 0.2, attempts=1)
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary == "webhook: no answer within 0.2 s"


async def test_the_secret_and_header_values_never_reach_the_result(receiver: Receiver) -> None:
    receiver.statuses, receiver.echo = [400], True
    result = await deliver(receiver)
    assert result.verdict is CheckVerdict.FAIL
    assert "[redacted]" in result.excerpt  # the echoed Authorization header
    reported = result.model_dump_json()
    for secret in (SECRET, HEADER_VALUE, receiver.url):
        assert secret not in reported


def test_the_callback_token_verifies_only_for_its_own_attempt() -> None:
    sent = context()
    token, key = sent.callback_token, sent.attempt_key
    assert verify_callback_token(SECRET, "m-1", "e2e", key, token)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert not verify_callback_token(SECRET, "m-1", "e2e", key, tampered)
    assert not verify_callback_token(SECRET, "m-2", "e2e", key, token)
    assert not verify_callback_token(SECRET, "m-1", "other", key, token)
    assert not verify_callback_token(SECRET, "m-1", "e2e", context(weight=50).attempt_key, token)
    assert not verify_callback_token("another-secret", "m-1", "e2e", key, token)
    assert not verify_callback_token(SECRET, "m-1", "e2e", key, "")
    assert not verify_callback_token(SECRET, "m-1", "e2e", key, "ünïcode")
    assert context(weight=None).attempt_key == "m-1/e2e/traffic-step/-"


def test_a_callback_makes_the_result_without_its_token() -> None:
    token = context().callback_token
    callback = WebhookCallback.model_validate(
        {
            "check": "e2e",
            "token": token,
            "verdict": "fail",
            "summary": "2 of 40 e2e tests failed\n(checkout, refunds)",
            "details_url": "https://ci.example/runs/81",
        }
    )
    result = callback_result(callback)
    assert result.verdict is CheckVerdict.FAIL and result.kind == "webhook"
    assert result.summary == "callback: 2 of 40 e2e tests failed (checkout, refunds)"
    assert result.excerpt == "details: https://ci.example/runs/81"
    assert token not in result.model_dump_json() and token not in repr(callback)
    passed = callback_result(WebhookCallback(check="e2e", token=token, verdict="pass"))
    assert passed.verdict is CheckVerdict.PASS and passed.summary == "callback: pass"
    assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest() != token


@pytest.mark.parametrize(
    "wrong",
    [
        {"verdict": "maybe"},
        {"summary": "x" * 301},
        {"details_url": "https://me:pw@ci.example/runs/1"},
        {"details_url": "https://ci.example/runs/1?token=abc"},
        {"extra": 1},
        {"check": "Not A Name"},
    ],
)
def test_a_malformed_callback_is_refused(wrong: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WebhookCallback.model_validate({"check": "e2e", "token": "t", "verdict": "pass", **wrong})


def webhooks(secret: str, headers: dict[str, str] | None = None) -> ChecksConfig:
    return ChecksConfig.model_validate(
        {"webhooks": {"ci": {"url": "https://ci.example/hooks/", "secret": secret, "headers": headers or {}}}}
    )


def test_the_webhook_config_reads_its_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_HOOK_SECRET", SECRET)
    monkeypatch.setenv("CI_TOKEN", HEADER_VALUE)
    url, secret, headers = webhooks("env:CI_HOOK_SECRET", {"Authorization": "env:CI_TOKEN"}).webhook("ci")
    assert (url, secret, headers) == ("https://ci.example/hooks", SECRET, {"Authorization": HEADER_VALUE})
    assert webhooks("as-is-secret").webhook("ci")[1] == "as-is-secret"
    assert "as-is-secret" not in repr(webhooks("as-is-secret"))


@pytest.mark.parametrize(
    ("config", "name", "problem"),
    [
        (ChecksConfig(), "ci", "checks.webhooks: the worker's platform config has no 'ci'"),
        (webhooks(SECRET), "cd", "checks.webhooks: the worker's platform config has no 'cd'"),
        (webhooks("env:NOT_SET_ANYWHERE"), "ci", "checks.webhooks.ci.secret: NOT_SET_ANYWHERE is not set"),
        (
            webhooks(SECRET, {"Authorization": "env:NOT_SET_ANYWHERE"}),
            "ci",
            "checks.webhooks.ci.headers.Authorization: NOT_SET_ANYWHERE is not set",
        ),
    ],
)
def test_a_webhook_the_worker_lacks_is_permanent_and_named(
    config: ChecksConfig, name: str, problem: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        config.webhook(name)
    assert str(caught.value).startswith(problem)
    assert SECRET not in str(caught.value)


def test_an_empty_secret_is_permanent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPTY_SECRET", "")
    with pytest.raises(PermanentError, match=r"^checks.webhooks.ci.secret: is empty"):
        webhooks("env:EMPTY_SECRET").webhook("ci")
    with pytest.raises(ValidationError):
        webhooks("")


def test_a_webhook_url_with_a_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not carry a user or password"):
        ChecksConfig.model_validate({"webhooks": {"ci": {"url": "https://me:pw@ci.example", "secret": "s"}}})
