"""End-to-end probes (`kind: http`): each request's status, headers, JSON fields and time, in every
environment the check names, retried a bounded number of times before it counts as failed.

A probe that got answers but never the expected one fails (green is not right); one that never got an
answer errs (the check could not tell). httpx: one client, timeouts per request, HTTP/1.1 and 2.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from cutover.checks.results import CheckResult, CheckVerdict, found, one_line
from cutover.plan.checks import HttpSettings, Probe, Side

REQUEST_TIMEOUT = 30.0  # seconds; the check's own timeout bounds the whole of it
MISSING = object()


@dataclass(frozen=True)
class Outcome:
    """One probe in one environment, after its attempts: None for a pass, else why not."""

    side: Side
    probe: Probe
    problem: str | None
    answered: bool
    elapsed_ms: float
    body: str = ""


async def run_probes(
    name: str,
    settings: HttpSettings,
    headers: dict[str, str],
    *,
    client: httpx.AsyncClient | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> CheckResult:
    """Every probe in every environment; `headers` are the named credential's (never in the result)."""
    started = time.monotonic()
    owned = client is None
    http = client or httpx.AsyncClient(timeout=REQUEST_TIMEOUT, follow_redirects=False)
    try:
        outcomes = [
            await _probe(http, settings, side, probe, headers, sleep)
            for side in settings.environments
            for probe in settings.requests
        ]
    finally:
        if owned:
            await http.aclose()
    return _result(name, outcomes, time.monotonic() - started)


async def _probe(
    http: httpx.AsyncClient,
    settings: HttpSettings,
    side: Side,
    probe: Probe,
    headers: dict[str, str],
    sleep: Callable[[float], Awaitable[None]],
) -> Outcome:
    base = settings.targets.url(side)
    assert base is not None, "the plan refuses a check without a target for an environment it names"
    outcome = Outcome(side, probe, "not tried", False, 0.0)
    for attempt in range(settings.retries + 1):
        if attempt:
            await sleep(settings.retry_interval.total_seconds())
        sent = time.monotonic()
        try:
            response = await http.request(
                probe.method, base + probe.path, headers={**probe.headers, **headers}, content=probe.body
            )
        except httpx.HTTPError as error:
            outcome = Outcome(
                side, probe, f"no answer: {one_line(str(error) or type(error).__name__)}", False, 0.0
            )
            continue
        elapsed = (time.monotonic() - sent) * 1000
        outcome = Outcome(side, probe, _problem(probe, response, elapsed), True, elapsed, response.text)
        if outcome.problem is None:
            return outcome
    return outcome


def _problem(probe: Probe, response: httpx.Response, elapsed_ms: float) -> str | None:
    """What the answer gets wrong, the first thing only; None when it is what the probe expects."""
    expect = probe.expect
    if response.status_code not in expect.status:
        return f"status {response.status_code}, expected {_either(expect.status)}"
    for header, value in expect.headers.items():
        answered = response.headers.get(header)
        if answered != value:
            return f"header {header}: {one_line(repr(answered), 80)}, expected {value!r}"
    if expect.json_fields:
        try:
            document = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return "body is not JSON"
        for path, wanted in expect.json_fields.items():
            found = _at(document, path)
            if found is MISSING:
                return f"JSON {path}: missing, expected {json.dumps(wanted)}"
            if found != wanted:
                return f"JSON {path}: {one_line(json.dumps(found), 80)}, expected {json.dumps(wanted)}"
    if expect.max_ms is not None and elapsed_ms > expect.max_ms:
        return f"took {elapsed_ms:.0f} ms, expected at most {expect.max_ms:g} ms"
    return None


def _at(document: object, path: str) -> object:
    """The value at a dotted path (`items.0.id`: keys, and list indexes as numbers)."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def _either(statuses: list[int]) -> str:
    return " or ".join(str(s) for s in statuses)


def _result(name: str, outcomes: list[Outcome], seconds: float) -> CheckResult:
    failed = [o for o in outcomes if o.problem is not None]
    figures: dict[str, float] = {"probes": len(outcomes), "failed": len(failed)}
    for side in {o.side for o in outcomes}:
        times = [o.elapsed_ms for o in outcomes if o.side == side and o.answered]
        if times:
            figures[f"{side}_max_ms"] = round(max(times), 1)
    if not failed:
        sides = " and ".join(sorted({o.side for o in outcomes}))
        summary = f"{len(outcomes)} probe(s) answered as expected in {sides}"
        return found(name, "http", CheckVerdict.PASS, summary, seconds, figures)
    first = failed[0]
    where = f"{first.side} {first.probe.method} {first.probe.path}"
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    verdict = CheckVerdict.FAIL if any(o.answered for o in failed) else CheckVerdict.ERROR
    return found(name, "http", verdict, f"{where}: {first.problem}{more}", seconds, figures, first.body)
