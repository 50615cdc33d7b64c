"""Webhook checks (`kind: webhook`): POST the migration's context to an endpoint the worker's config
names, signed so the receiver can trust it; pass on 2xx, or on the verdict its later callback brings.

The delivery is signed GitHub-style: `X-Cutover-Signature: sha256=<hex HMAC-SHA256 of the exact body>`
with the endpoint's secret, and `X-Cutover-Delivery` carries the attempt key (migration/check/stage/
weight), the same on every retry, so the receiver can drop duplicates. The context carries a callback
token: an HMAC, over the attempt, that the receiver sends back with its verdict (cutover.checks.callback);
the workflow holds only its digest (never the secret) and takes no callback without it.

Retries, bounded: ATTEMPTS tries, BACKOFF seconds apart, when there was no answer (a transport error
or a timeout) or the answer was 5xx, 408 or 429: the delivery key makes a repeat harmless. Any other
answer is final. In the end 2xx passes; 3xx (redirects are not followed: a signed delivery goes
where it was configured to, or nowhere), 4xx and 5xx fail with the status and the body's start; no
answer errs. A 202, or any 2xx when the caller waits for a callback, passes the delivery only:
`figures["awaiting_callback"]` is 1 and the caller decides what to wait for.

The secret, the configured header values and the URL (whose path may be a capability) never reach a
result, an exception's text or a log: whatever the endpoint or httpx says is scrubbed of them.
"""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable

import httpx
from pydantic import BaseModel, ConfigDict, Field

from cutover.checks.callback import KIND, scrubbed
from cutover.checks.results import EXCERPT_CHARS, CheckResult, CheckVerdict, found, one_line
from cutover.logs import get_logger
from cutover.plan.checks import Stage

ATTEMPTS = 3
BACKOFF = (1.0, 3.0)  # seconds before the 2nd and the 3rd attempt
RETRIED_STATUS = {408, 429}  # and every 5xx
MAX_READ = 64 * 1024  # bytes of a response body read, at most: only its start is evidence
SIGNATURE_HEADER = "X-Cutover-Signature"
DELIVERY_HEADER = "X-Cutover-Delivery"
OURS = {SIGNATURE_HEADER.lower(), DELIVERY_HEADER.lower(), "content-type"}
TOKEN_DOMAIN = "cutover-callback-v1"  # a token can never be a delivery's signature (a body is JSON)


class WebhookContext(BaseModel):
    """What the receiver is told: where in the migration this check runs, and how to answer."""

    model_config = ConfigDict(extra="forbid")

    migration_id: str
    check: str
    stage: Stage
    weight: int | None = None
    green_percent: dict[str, int] = Field(
        default_factory=dict, description="service -> green's share of its traffic now, in percent"
    )
    callback_token: str = Field(description="send it back with the verdict (WebhookCallback.token)")
    attempt_key: str = Field(description="the same on every retry of this run: deduplicate on it")


def attempt_key(migration_id: str, check: str, stage: Stage, weight: int | None) -> str:
    """One run of one check: stable across retries, distinct per stage and traffic weight."""
    return f"{migration_id}/{check}/{stage.value}/{'-' if weight is None else weight}"


def callback_token(secret: str, migration_id: str, check: str, key: str) -> str:
    """The HMAC-SHA256 (hex) binding a callback to this migration, check and attempt."""
    message = json.dumps([TOKEN_DOMAIN, migration_id, check, key], separators=(",", ":"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_callback_token(secret: str, migration_id: str, check: str, key: str, token: str) -> bool:
    """Whether token is this attempt's, compared in constant time (bytes: any text is safe to compare)."""
    expected = callback_token(secret, migration_id, check, key)
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))


def webhook_context(
    secret: str,
    migration_id: str,
    check: str,
    stage: Stage,
    weight: int | None = None,
    green_percent: dict[str, int] | None = None,
) -> WebhookContext:
    """The context for one run of a check, its attempt key and callback token made here."""
    key = attempt_key(migration_id, check, stage, weight)
    return WebhookContext(
        migration_id=migration_id,
        check=check,
        stage=stage,
        weight=weight,
        green_percent=green_percent or {},
        callback_token=callback_token(secret, migration_id, check, key),
        attempt_key=key,
    )


def signature(secret: str, body: bytes) -> str:
    """The X-Cutover-Signature of a body: what the receiver recomputes over the bytes it got."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def call_webhook(
    name: str,
    context: WebhookContext,
    url: str,
    secret: str,
    headers: dict[str, str],
    timeout: float,
    *,
    wait_for_callback: bool = False,
    attempts: int = ATTEMPTS,
    client: httpx.AsyncClient | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> CheckResult:
    """Deliver the context to the webhook (`timeout` seconds per attempt) and judge its answer."""
    started = time.monotonic()
    hidden = [secret, url, *headers.values()]
    body = context.model_dump_json().encode()
    sent = {header: value for header, value in headers.items() if header.lower() not in OURS}
    sent |= {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
        DELIVERY_HEADER: context.attempt_key,
    }
    owned = client is None
    http = client or httpx.AsyncClient(follow_redirects=False)
    status, text, problem, tries = 0, "", "not tried", 0
    try:
        for tries in range(1, max(attempts, 1) + 1):
            if tries > 1:
                get_logger(check=name, delivery=context.attempt_key).warning(
                    "webhook retried", attempt=tries, problem=problem
                )
                await sleep(BACKOFF[min(tries - 2, len(BACKOFF) - 1)])
            try:
                async with asyncio.timeout(timeout):
                    status, text = await _post(http, url, body, sent, timeout)
            except TimeoutError:
                status, problem = 0, f"no answer within {timeout:g} s"
                continue
            except httpx.HTTPError as error:
                status, problem = 0, "no answer: " + scrubbed(str(error) or type(error).__name__, hidden)
                continue
            if not (status >= 500 or status in RETRIED_STATUS):
                break
            problem = f"answered {status}"
    finally:
        if owned:
            await http.aclose()
    return _result(name, status, scrubbed(text, hidden), problem, tries, wait_for_callback, started)


async def _post(
    http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, str]:
    """The answer's status and the start of its body (at most MAX_READ bytes are read)."""
    async with http.stream("POST", url, content=body, headers=headers, timeout=timeout) as response:
        read = bytearray()
        async for chunk in response.aiter_bytes():
            read += chunk
            if len(read) >= MAX_READ:
                break
    return response.status_code, bytes(read[:MAX_READ]).decode("utf-8", "replace")


def _result(
    name: str, status: int, text: str, problem: str, tries: int, waits: bool, started: float
) -> CheckResult:
    seconds = time.monotonic() - started
    figures: dict[str, float] = {"status": status, "attempts": tries, "awaiting_callback": 0}
    after = f" after {tries} attempts" if tries > 1 else ""
    if status == 0:
        return found(name, KIND, CheckVerdict.ERROR, f"webhook: {problem}{after}", seconds, figures)
    if 200 <= status < 300:
        if status == 202 or waits:
            figures["awaiting_callback"] = 1
            summary = f"webhook accepted the delivery ({status}){after}; awaiting its callback"
        else:
            summary = f"webhook answered {status}{after}"
        return found(name, KIND, CheckVerdict.PASS, summary, seconds, figures)
    start = f": {one_line(text, 120)}" if text.strip() else ""
    redirect = " (redirects are not followed)" if 300 <= status < 400 else ""
    summary = f"webhook answered {status}{redirect}{after}{start}"
    return found(name, KIND, CheckVerdict.FAIL, summary, seconds, figures, text[:EXCERPT_CHARS])


def awaiting_callback(result: CheckResult) -> bool:
    """Whether a delivery passed only as delivered: its verdict comes with the callback."""
    return result.passed and result.figures.get("awaiting_callback") == 1
