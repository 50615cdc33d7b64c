"""Kubernetes Jobs (`kind: job`): run one Job in blue or green, pass when it succeeds.

The Job comes from a CronJob's job template (`template: cronjob/NAME`) or the plan's manifest, in the
environment and namespace the check names. Its name is a function of where in the migration the check
runs (check_job_name), and starting it is idempotent, so an activity retried after a worker crash finds
the Job the first attempt started and watches it: a retry never runs a Job twice. The Job is deleted
afterwards whatever happened: passed, failed, timed out, an error, or cancelled by an abort.

Verdicts: PASS when it succeeded, FAIL when it failed (its status says why), ERROR when it did not
finish within the check's timeout (the check could not tell). The evidence is its pod's log tail.

The cluster's calls block; they run through the `in_thread` the caller gives (the activities' pool),
and the waits between looks sleep on the event loop.
"""

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Protocol, TypeVar

from cutover.checks.k6_summary import judge_summary, read_summary
from cutover.checks.results import CheckResult, CheckVerdict, found
from cutover.durations import format_duration
from cutover.logs import get_logger
from cutover.plan.checks import JobSettings, LoadExpect
from cutover.platform.errors import TransientError
from cutover.platform.interfaces import Cluster, JobState

T = TypeVar("T")
MAX_NAME = 63  # a DNS label: the Job controller puts the Job's name in a label of its pods
HASH_CHARS = 8
CHECK_LABEL = "cutover.io/check"
MANAGED_BY = ("app.kubernetes.io/managed-by", "cutover")


class InThread(Protocol):
    """Runs a blocking call on a thread (cutover.activities.running.in_thread)."""

    def __call__(self, call: Callable[[], T], /) -> Awaitable[T]: ...


def check_job_name(migration_id: str, check: str, stage: str, weight: int | None) -> str:
    """`cutover-<check>-<8 hex>`: the same for every attempt of one run of a check (migration, check,
    stage, weight), different between runs; the check's part cut so the whole is a DNS label."""
    key = json.dumps([migration_id, check, str(stage), weight])
    digest = hashlib.sha256(key.encode()).hexdigest()[:HASH_CHARS]
    readable = re.sub(r"[^a-z0-9]+", "-", check.lower()).strip("-")
    prefix = f"cutover-{readable}"[: MAX_NAME - HASH_CHARS - 1].rstrip("-")
    return f"{prefix}-{digest}"


async def run_job(
    cluster: Cluster,
    name: str,
    settings: JobSettings,
    job_name: str,
    env_name: str,
    *,
    poll: timedelta,
    timeout: timedelta,
    in_thread: InThread,
) -> CheckResult:
    """Start the Job (or find it started), watch it until it finishes or `timeout` has passed, delete it.

    `env_name` is the cluster's environment for settings.environment (blue or green). A cancellation
    deletes the Job before it goes on; a platform error other than a transient one during the watch
    (which is tried again at the next look) deletes it and goes on too."""
    started = time.monotonic()
    namespace = settings.namespace
    labels = {MANAGED_BY[0]: MANAGED_BY[1], CHECK_LABEL: name}
    start = partial(
        cluster.start_check_job, env_name, namespace, job_name, settings.template, settings.manifest, labels
    )
    look = partial(cluster.check_job_state, env_name, namespace, job_name)
    delete = partial(cluster.delete_check_job, env_name, namespace, job_name)
    try:
        await in_thread(start)
        state, last_error = await _watch(look, started + timeout.total_seconds(), poll, in_thread)
    except BaseException:  # cancelled (an abort) or failed: nothing of the check keeps running
        await _delete_anyway(delete, in_thread, job_name, env_name)
        raise
    # A failed delete fails the attempt; its retry finds the finished Job, reads it again, deletes it.
    await asyncio.shield(in_thread(delete))
    return _result(name, settings, job_name, env_name, state, last_error, timeout, time.monotonic() - started)


async def _watch(
    look: Callable[[], JobState], deadline: float, poll: timedelta, in_thread: InThread
) -> tuple[JobState | None, str]:
    """Look until the Job is done or the deadline (time.monotonic) has passed: the last state seen (None
    if no look answered) and the last transient error (a blip of the API does not end the check)."""
    state: JobState | None = None
    last_error = ""
    while True:
        try:
            state = await in_thread(look)
        except TransientError as error:
            last_error = error.message
        else:
            last_error = ""
            if state.done:
                return state, ""
        left = deadline - time.monotonic()
        if left <= 0:
            return state, last_error
        await asyncio.sleep(min(poll.total_seconds(), left))


async def _delete_anyway(delete: Callable[[], None], in_thread: InThread, job_name: str, env: str) -> None:
    """Delete the Job on the way out of a cancellation or an error, which goes on as it was: a delete
    that fails is logged (the Job stays behind), never raised in its place."""
    try:
        await asyncio.shield(in_thread(delete))
    except Exception as error:
        get_logger(job=job_name, env=env).warning("check job not deleted", error=str(error))


def _result(
    name: str,
    settings: JobSettings,
    job_name: str,
    env_name: str,
    state: JobState | None,
    last_error: str,
    timeout: timedelta,
    seconds: float,
) -> CheckResult:
    source = settings.template or "manifest"
    where = f"Job {job_name} ({source}) in {env_name}/{settings.namespace}"
    if state is not None and state.done and settings.summary == "k6":
        return _load_result(name, settings, where, state, seconds)
    if state is not None and state.done:
        verdict = CheckVerdict.PASS if state.succeeded else CheckVerdict.FAIL
        summary = f"{where} succeeded" if state.succeeded else f"{where} failed: {state.message}"
    else:
        verdict = CheckVerdict.ERROR
        last = last_error or (state.message if state is not None else "")
        summary = f"{where} did not finish within {format_duration(timeout)}" + (f" ({last})" if last else "")
    return found(name, "job", verdict, summary, seconds, evidence=state.log_tail if state is not None else "")


def _load_result(
    name: str, settings: JobSettings, where: str, state: JobState, seconds: float
) -> CheckResult:
    """A k6 Job's verdict: its own (k6 exits non-zero when a threshold fails) and the plan's expect,
    judged on the summary read back from its log."""
    ended = "succeeded" if state.succeeded else f"failed: {state.message}"
    summary = read_summary(state.log_tail)
    if summary is None:
        verdict = CheckVerdict.ERROR if state.succeeded else CheckVerdict.FAIL
        said = f"{where} {ended}; no k6 summary at the end of its log (handleSummary to stdout)"
        return found(name, "job", verdict, said, seconds, evidence=state.log_tail)
    judgements = judge_summary(summary, settings.expect or LoadExpect())
    missed = [text for ok, text in judgements if not ok]
    p99 = summary.percentiles_ms.get("p(99)")
    failed = f"{summary.failed_rate * 100:.2f}% failed"
    measured = f"k6 {summary.requests:,} requests at {summary.rate:,.0f} req/s, {failed}" + (
        f", p99 {p99:.3g} ms" if p99 is not None else ""
    )
    verdict = CheckVerdict.PASS if state.succeeded and not missed else CheckVerdict.FAIL
    said = f"{where} {ended}: {measured}" + (f"; {'; '.join(missed)}" if missed else "")
    told = "\n".join(("ok: " if ok else "FAILED: ") + text for ok, text in judgements)
    return found(name, "job", verdict, said, seconds, summary.figures(), f"{state.log_tail}\n{told}")
