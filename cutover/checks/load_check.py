"""Load checks (`kind: load`): the plan's open-model load on each environment it names, at the same time,
judged by its `expect` (the statistics: cutover.checks.load_judgement).

- the absolute limits (max_error_rate, max_p50/p95/p99_ms) judge green (or the one environment named
  when that is blue alone); blue, when loaded beside green, is the baseline of the comparisons
  (max_p99_ratio, max_error_rate_increase) only;
- a side that got no answer at all (connection refused, every request failed or timed out) errs: the
  check could not tell, as an http probe that never got an answer;
- the generator falling behind its schedule (its own send lag p99 over a tenth of the duration, at
  least LAG_FLOOR_S: the sending rate then under ~90% of the plan's) errs as well, rather than
  blaming green for latencies the worker made; requests shed at max_in_flight are errors of the side
  (a server that slow fails its error rate) and said in the summary.

Both sides share the worker's event loop, so a hiccup of the worker delays both alike: what a
comparison wants. The credential's headers go on every request and never into the result.
"""

import asyncio
import math
import time
from collections.abc import Callable
from datetime import timedelta

from cutover.checks import load_judgement as judge
from cutover.checks.load import LoadProgress, LoadShape, LoadSummary, RequestTemplate, run_load
from cutover.checks.results import CheckResult, CheckVerdict, found
from cutover.plan.checks import LoadExpect, LoadSettings, Side

KIND = "load"
MAX_IN_FLIGHT = 10_000  # all sides together: sockets of the worker (each side gets its share)
LAG_FLOOR_S = 0.5  # a send lag below this is a hiccup of the worker, not a generator that fell behind
LAG_SHARE = 0.1  # a lag p99 over this share of the duration: the sending rate fell under ~90%
PROGRESS_EVERY = timedelta(seconds=1)
QUANTILES = ((0.50, "max_p50_ms"), (0.95, "max_p95_ms"), (0.99, "max_p99_ms"))


async def run_load_check(
    name: str,
    settings: LoadSettings,
    headers: dict[str, str],
    on_progress: Callable[[str], None] | None = None,
) -> CheckResult:
    """Load every environment of `settings` at once and judge the runs; `headers` are the named
    credential's; `on_progress` gets a line about every second (for the activity's heartbeat)."""
    started = time.monotonic()
    shape = LoadShape(settings.rate, settings.duration, settings.ramp)
    templates = [
        RequestTemplate(method=r.method, path=r.path, headers=dict(r.headers), body=r.body, weight=r.weight)
        for r in settings.requests
    ]
    sides = list(settings.environments)
    progress = _Progress(sides, shape.intended, on_progress)
    runs = []
    for side in sides:
        url = settings.targets.url(side)
        assert url is not None, "the plan refuses a check without a target for an environment it names"
        runs.append(
            asyncio.ensure_future(
                run_load(
                    url,
                    shape,
                    templates,
                    timeout=settings.request_timeout,
                    max_in_flight=max_in_flight(settings.rate, settings.request_timeout, len(sides)),
                    on_progress=progress.reporter(side),
                    progress_every=PROGRESS_EVERY,
                    headers=headers,
                )
            )
        )
    try:
        summaries = await asyncio.gather(*runs)
    except BaseException:  # one run failed or the check was cancelled: no run goes on unowned
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        raise
    return judged(name, settings, dict(zip(sides, summaries, strict=True)), time.monotonic() - started)


def max_in_flight(rate: float, timeout: timedelta, sides: int) -> int:
    """On schedule, at most rate x timeout requests can be outstanding (each ends by its timeout), so
    this sheds only a burst after the generator lagged, or beyond the worker's cap."""
    wanted = math.ceil(rate * timeout.total_seconds() * 1.25) + 10
    return max(1, min(wanted, MAX_IN_FLIGHT // sides))


class _Progress:
    """The latest progress of each side, told as one line at most about every PROGRESS_EVERY."""

    def __init__(self, sides: list[Side], intended: int, on_progress: Callable[[str], None] | None):
        self._sides = sides
        self._intended = intended
        self._on_progress = on_progress
        self._latest: dict[Side, LoadProgress] = {}
        self._told = -math.inf

    def reporter(self, side: Side) -> Callable[[LoadProgress], None] | None:
        if self._on_progress is None:
            return None

        def report(progress: LoadProgress) -> None:
            self._latest[side] = progress
            now = time.monotonic()
            if now - self._told >= PROGRESS_EVERY.total_seconds() * 0.9:
                self._told = now
                assert self._on_progress is not None
                self._on_progress(self.line())

        return report

    def line(self) -> str:
        parts = []
        for side in self._sides:
            p = self._latest.get(side)
            if p is None:
                parts.append(f"{side} starting")
                continue
            p99 = f", p99 {p.p99_ms:.3g} ms" if p.p99_ms is not None else ""
            shed = f", {p.shed:,} shed" if p.shed else ""
            parts.append(f"{side} {p.sent:,}/{self._intended:,} sent, {p.errors:,} errors{shed}{p99}")
        return "; ".join(parts)


def judged(name: str, settings: LoadSettings, runs: dict[Side, LoadSummary], seconds: float) -> CheckResult:
    """The verdict on finished runs: errs when a side got no answer or the generator fell behind; fails
    when a criterion is significantly missed; passes otherwise."""
    figures = _figures(runs)
    shape = LoadShape(settings.rate, settings.duration, settings.ramp)
    planned = shape.intended / settings.duration.total_seconds()  # req/s over the run, ramp included
    measured = "; ".join(_measured(side, run, planned) for side, run in runs.items())
    lines = [_evidence(side, run) for side, run in runs.items()]

    def result(
        verdict: CheckVerdict, summary: str, judgements: list[judge.Judgement] | None = None
    ) -> CheckResult:
        told = [("ok: " if ok else "FAILED: ") + text for ok, text in judgements or []]
        evidence = "\n".join(lines + told)
        return found(name, KIND, verdict, summary, seconds, figures, evidence)

    silent = [side for side, run in runs.items() if run.completed == 0]
    if silent:
        side = silent[0]
        why = runs[side].first_error or "no request was answered"
        return result(CheckVerdict.ERROR, f"no answer from {side}: {why}; {measured}")
    behind = {side: run for side, run in runs.items() if _fell_behind(run, settings)}
    if behind:
        side, run = next(iter(behind.items()))
        lag = (run.send_lag_p99_ms or 0) / 1000
        summary = (
            f"the generator fell behind ({side} send lag p99 {lag:.3g} s, "
            f"{run.sent:,} of {run.intended:,} sent): the worker could not keep the rate, "
            f"the latencies do not judge {side}; {measured}"
        )
        return result(CheckVerdict.ERROR, summary)
    judgements = _judgements(settings.expect, runs)
    failed = [text for ok, text in judgements if not ok]
    ratio = figures.get("p99_ratio")
    compared = f"; p99 ratio {ratio:.3g}" if ratio is not None else ""
    if settings.expect.max_p99_ratio is not None and ratio is not None:
        compared += f" (<= {settings.expect.max_p99_ratio:g})"
    if failed:
        return result(CheckVerdict.FAIL, f"{'; '.join(failed)} -- {measured}{compared}", judgements)
    return result(CheckVerdict.PASS, f"{measured}{compared}", judgements)


def _fell_behind(run: LoadSummary, settings: LoadSettings) -> bool:
    lag_s = (run.send_lag_p99_ms or 0.0) / 1000
    return lag_s > max(LAG_FLOOR_S, LAG_SHARE * settings.duration.total_seconds())


def _judgements(expect: LoadExpect, runs: dict[Side, LoadSummary]) -> list[judge.Judgement]:
    judged_sides: list[Side] = ["green"] if "green" in runs else list(runs)
    out: list[judge.Judgement] = []
    for side in judged_sides:
        run = runs[side]
        out.append(judge.error_rate_within(side, run.errors, run.intended, expect.max_error_rate))
        samples = _samples(run)
        for quantile, field in QUANTILES:
            limit = getattr(expect, field)
            if limit is not None:
                out.append(judge.latency_within(side, quantile, limit, run.slower_than(limit), samples))
    if "blue" in runs and "green" in runs:
        blue, green = runs["blue"], runs["green"]
        if expect.max_p99_ratio is not None:
            out.append(
                judge.p99_ratio_within(
                    expect.max_p99_ratio, blue.latency_buckets, green.slower_than, _samples(green)
                )
            )
        if expect.max_error_rate_increase is not None:
            out.append(
                judge.error_increase_within(
                    green.errors, green.intended, blue.errors, blue.intended, expect.max_error_rate_increase
                )
            )
    return out


def _samples(run: LoadSummary) -> int:
    """Requests with a latency: sent and ended (answered, failed or timed out); shed ones have none."""
    return sum(count for _, count in run.latency_buckets)


def _figures(runs: dict[Side, LoadSummary]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for side, run in runs.items():
        figures[f"{side}_requests"] = run.intended
        figures[f"{side}_achieved_rps"] = round(run.achieved_rps, 1)
        figures[f"{side}_error_rate"] = run.error_rate
        for label, value in (("p50", run.p50_ms), ("p95", run.p95_ms), ("p99", run.p99_ms)):
            if value is not None:
                figures[f"{side}_{label}_ms"] = round(value, 2)
    blue, green = runs.get("blue"), runs.get("green")
    if blue and green and blue.p99_ms and green.p99_ms is not None:
        figures["p99_ratio"] = round(green.p99_ms / blue.p99_ms, 3)
    return figures


def _measured(side: Side, run: LoadSummary, planned: float) -> str:
    """`green 2,000 req/s: 0.10% errors, p99 12 ms`, saying what fell short of the plan (the rate
    achieved also falls with errors and with answers that end after the schedule)."""
    achieved = f"{run.achieved_rps:,.0f} req/s"
    if run.achieved_rps < 0.9 * planned:
        achieved += f" (of {planned:,.0f} planned)"
    p99 = f", p99 {run.p99_ms:.3g} ms" if run.p99_ms is not None else ""
    shed = f", {run.shed:,} shed at max in flight" if run.shed else ""
    return f"{side} {achieved}: {run.error_rate * 100:.2f}% errors{p99}{shed}"


def _evidence(side: Side, run: LoadSummary) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.3g}"

    text = (
        f"{side}: {run.intended:,} due, {run.sent:,} sent, {run.completed:,} answered "
        f"in {run.duration_s:.1f} s; {run.errors:,} errors ({run.error_responses:,} error statuses, "
        f"{run.timeouts:,} timeouts, {run.transport_errors:,} transport errors, {run.shed:,} shed); "
        f"ms p50 {ms(run.p50_ms)} p95 {ms(run.p95_ms)} p99 {ms(run.p99_ms)} max {ms(run.max_ms)}, "
        f"send lag p99 {ms(run.send_lag_p99_ms)}"
    )
    if run.first_error:
        text += f"; first error: {run.first_error}"
    return text
