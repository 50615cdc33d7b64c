"""Webhook checks in whole migrations, against a real receiver on loopback: a 2xx passes; a receiver
that answers later (a CI run) sends its verdict through the check_callback Update with the token its
delivery carried. A callback with another token, or for a check that awaits none, is refused with
one line and leaves no trace in the history; a failing verdict rolls back with its summary."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cutover.models import Outcome
from cutover.platform.check_secrets import ChecksConfig
from tests.checks.test_http_probe import serve
from tests.cli.test_revert_command import cutover
from tests.workflows.helpers import Harness, make_plan, migration
from tests.workflows.support import assert_restored

SECRET = "whsec-workflow-test"
WAIT_S = 120  # for the worker to deliver: generous, a busy CI machine is slow


class Receiver:
    def __init__(self, status: int) -> None:
        self.status = status
        self.deliveries: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.deliveries.append(json.loads(await request.read()))
        return web.Response(status=self.status, text="queued" if self.status == 202 else "ok")


@pytest.fixture
async def ci() -> AsyncIterator[Receiver]:
    receiver = Receiver(202)
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    runner, url = await serve(app)
    receiver.url = url + "/hooks"
    yield receiver
    await runner.cleanup()


def webhooks(receiver: Receiver) -> ChecksConfig:
    return ChecksConfig.model_validate({"webhooks": {"ci": {"url": receiver.url, "secret": SECRET}}})


def suite(stage: str, wait: bool) -> dict[str, Any]:
    return {
        "name": "e2e-suite",
        "kind": "webhook",
        "stages": [stage],
        "timeout": "30m",
        "webhook": {"endpoint": "ci", "wait_for_callback": wait},
    }


async def delivered(receiver: Receiver) -> dict[str, Any]:
    for _ in range(WAIT_S * 10):
        if receiver.deliveries:
            return receiver.deliveries[-1]
        await asyncio.sleep(0.1)
    raise AssertionError("the webhook was never called")


async def callback_refusal(h: Harness, **fields: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await h.handle.execute_update("check_callback", fields)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def awaiting(h: Harness) -> None:
    """Until the migration awaits the callback (the worker's delivery was answered first)."""
    for _ in range(WAIT_S * 10):
        if "for its callback" in (await h.status()).step:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the migration never awaited the callback")


def update_events(history: Any) -> list[str]:
    names = [EventType.Name(event.event_type) for event in history.events]
    return [name for name in names if "UPDATE" in name]


async def test_a_webhook_that_answers_2xx_passes(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, ci: Receiver
) -> None:
    ci.status = 200
    plan = make_plan(checks=[suite("validation", wait=False)])
    async with migration(time_skipping_env, tmp_path, plan, checks=webhooks(ci)) as h:
        result = await h.run_approving_all()
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
    assert [(c.stage, c.result.verdict.value, c.result.summary) for c in result.checks] == [
        ("validation", "pass", "webhook answered 200")
    ]
    [context] = ci.deliveries
    assert context["stage"] == "validation" and context["check"] == "e2e-suite"
    assert context["migration_id"] == h.handle.id and context["green_percent"] == {
        "checkout": 0,
        "catalog": 0,
    }


async def test_a_callback_brings_the_verdict_and_a_forged_one_is_refused_without_a_trace(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, ci: Receiver
) -> None:
    plan = make_plan(checks=[suite("preparation", wait=True)])
    async with migration(time_skipping_env, tmp_path, plan, checks=webhooks(ci)) as h:
        before = h.local.read()
        token = (await delivered(ci))["callback_token"]
        await awaiting(h)
        verdict = {"check": "e2e-suite", "verdict": "fail", "summary": "3 of 412 e2e tests failed"}
        refused = await callback_refusal(h, **verdict, token="f" * 64)
        assert refused == "callback refused: token: not the one check e2e-suite's delivery carried"
        other = await callback_refusal(h, **(verdict | {"check": "load"}), token=token)
        assert other == "callback refused: check 'load' awaits no callback now (awaiting: e2e-suite)"
        assert update_events(await h.handle.fetch_history()) == [], "a refused callback left no trace"
        details = "https://ci.example/runs/81"
        answer = await h.handle.execute_update(
            "check_callback", verdict | {"token": token, "details_url": details}
        )
        assert answer == "check e2e-suite: fail recorded"
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert (
        result.outcome_reason == "check e2e-suite at preparation: fail: callback: 3 of 412 e2e tests failed"
    )
    [record] = result.checks
    assert record.result.excerpt == "details: https://ci.example/runs/81" and record.result.awaiting is None
    assert token not in json.dumps(result.model_dump(mode="json"))
    assert_restored(before, h.local.read())


async def test_the_cli_sends_the_verdict_and_says_why_it_was_refused(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path, ci: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a server of its own: the migration is left in its first batch, whose CronJob waits would hold
    a shared time-skipping server's clock."""
    plan = make_plan(checks=[suite("preparation", wait=True)])
    async with migration(own_time_skipping_env, tmp_path, plan, checks=webhooks(ci)) as h:
        token = (await delivered(ci))["callback_token"]
        await awaiting(h)
        passing = ["callback", h.handle.id, "--check", "e2e-suite", "--verdict", "pass"]
        forged = await cutover(h, *passing)
        monkeypatch.setenv("CUTOVER_CALLBACK_TOKEN", token)
        bad = await cutover(h, *passing, "--details-url", "https://ci:pw@ci.example/runs/1")
        sent = await cutover(h, *passing, "--summary", "412 tests passed")
        recorded = await h.until(lambda s: s.checks != [], step=timedelta(seconds=1))
    assert forged.exit_code == 2 and "--token" in forged.stderr, forged.output
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[-1].startswith("error: --details-url: Value error, must not carry a user")
    assert sent.exit_code == 0, sent.output
    assert f"{h.handle.id}: check e2e-suite: pass recorded" in sent.stdout
    [record] = recorded.checks
    assert record.result.verdict.value == "pass" and record.result.summary == "callback: 412 tests passed"
