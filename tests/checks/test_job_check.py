"""`kind: job`: a Job run once in one environment, judged by how it ended, its log tail as evidence, and
deleted afterwards whatever happened; through the local environment and the Kubernetes adapter
against the API server double (a test plays the Job controller: pods, logs, status)."""

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cutover.activities.running import in_thread
from cutover.checks.job_check import CHECK_LABEL, check_job_name, run_job
from cutover.checks.results import EXCERPT_CHARS, CheckResult, CheckVerdict
from cutover.plan.checks import JobSettings, Stage
from cutover.platform.errors import PermanentError
from cutover.platform.interfaces import Cluster
from cutover.platform.kubernetes.cluster import KubernetesCluster
from cutover.platform.local import LocalEnvironment, empty_state
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import NS, cronjob

JOB = check_job_name("m-1", "smoke", Stage.VALIDATION, None)
POLL = timedelta(milliseconds=20)
LONG = timedelta(minutes=5)  # a bound never reached when things work, however slow the machine
WAIT = 60.0  # seconds a test waits for a condition before it fails


async def eventually(condition: Callable[[], Any], what: str) -> Any:
    """The condition's first truthy value, looked at on the event loop until WAIT has passed."""
    deadline = time.monotonic() + WAIT
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)
    return value


def template() -> JobSettings:
    return JobSettings(environment="green", namespace=NS, template="cronjob/smoke")


def manifest(name: str = "smoke-test") -> JobSettings:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "elsewhere",
            "labels": {"team": "payments", CHECK_LABEL: "someone-else"},
            "uid": "from-a-live-object",
        },
        "spec": {"backoffLimit": 0, "template": {"spec": {"containers": [{"name": "main", "image": "t:1"}]}}},
    }
    return JobSettings(environment="green", namespace=NS, manifest=job)


async def run(
    cluster: Cluster, settings: JobSettings, env: str, timeout: timedelta = LONG, job: str = JOB
) -> CheckResult:
    return await run_job(
        cluster, "smoke", settings, job, env, poll=POLL, timeout=timeout, in_thread=in_thread
    )


# --- names ---------------------------------------------------------------------------------------
def test_a_job_name_is_the_same_for_every_attempt_and_differs_between_runs() -> None:
    assert JOB == check_job_name("m-1", "smoke", Stage.VALIDATION, None)
    assert re.fullmatch(r"cutover-smoke-[0-9a-f]{8}", JOB)
    others = {
        check_job_name("m-2", "smoke", Stage.VALIDATION, None),
        check_job_name("m-1", "smoke-2", Stage.VALIDATION, None),
        check_job_name("m-1", "smoke", Stage.FINAL, None),
        check_job_name("m-1", "smoke", Stage.TRAFFIC_STEP, 25),
        check_job_name("m-1", "smoke", Stage.TRAFFIC_STEP, 50),
    }
    assert len(others) == 5 and JOB not in others


def test_a_long_check_name_is_cut_to_a_dns_label() -> None:
    name = check_job_name("m-1", "a" * 45 + "-" + "b" * 17, Stage.FINAL, None)
    assert len(name) <= 63
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)
    assert name.startswith("cutover-" + "a" * 45 + "-") and "--" not in name


# --- the local environment -----------------------------------------------------------------------
@pytest.fixture
def local(tmp_path: Path) -> LocalEnvironment:
    env = LocalEnvironment(tmp_path / "state.json")
    state = empty_state("blue", "green")
    state["clusters"]["green"][f"{NS}/cronjob/smoke"] = {"replicas": 1, "image": "t:1", "ready": True}
    env.create(state)
    return env


def fail(local: LocalEnvironment, **failures: str) -> None:
    def change(state: dict[str, Any]) -> None:
        state["failures"] = failures

    local.update(change)


def job_operations(local: LocalEnvironment) -> list[str]:
    return [op["op"] for op in local.read()["operations"] if op["op"].endswith("-job")]


@pytest.mark.parametrize("settings", [template(), manifest()], ids=["template", "manifest"])
async def test_a_job_that_succeeds_passes_with_its_log_and_is_deleted(
    local: LocalEnvironment, settings: JobSettings
) -> None:
    result = await run(local, settings, "green")
    assert result.verdict is CheckVerdict.PASS, result.summary
    assert result.kind == "job" and result.check == "smoke"
    assert result.summary.startswith(f"Job {JOB} (")
    assert result.summary.endswith(f") in green/{NS} succeeded")
    assert f"{JOB}: exit code 0" in result.excerpt
    assert local.check_jobs() == {}
    assert job_operations(local) == ["start-job", "delete-job"]


async def test_a_job_that_fails_fails_the_check_with_its_message_and_log(local: LocalEnvironment) -> None:
    fail(local, failing_job="smoke")  # the template's CronJob
    result = await run(local, template(), "green")
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == (
        f"Job {JOB} (cronjob/smoke) in green/{NS} failed: "
        "Failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
    )
    assert f"{JOB}: exit code 1" in result.excerpt
    assert local.check_jobs() == {}


async def test_a_template_the_environment_lacks_starts_nothing(local: LocalEnvironment) -> None:
    with pytest.raises(KeyError, match="cronjob shop/smoke"):
        await run(local, template(), "blue")
    assert local.check_jobs() == {}


async def test_a_retry_watches_the_job_its_first_attempt_started(local: LocalEnvironment) -> None:
    """The first attempt started the Job (failing) and its worker died; the retry, with the same
    name, reads that Job's end instead of starting one that would now succeed."""
    fail(local, failing_job="smoke")
    local.start_check_job("green", NS, JOB, "cronjob/smoke", None, {CHECK_LABEL: "smoke"})
    fail(local)
    result = await run(local, template(), "green")
    assert result.verdict is CheckVerdict.FAIL
    assert job_operations(local) == ["start-job", "delete-job"]


async def test_a_job_that_does_not_finish_in_time_errs_and_is_deleted(local: LocalEnvironment) -> None:
    fail(local, job_pending="smoke")
    result = await run(local, template(), "green", timeout=timedelta(milliseconds=200))
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary == (
        f"Job {JOB} (cronjob/smoke) in green/{NS} did not finish within 0s (1 active, 0 succeeded, 0 failed)"
    )
    assert local.check_jobs() == {}


async def test_a_cancelled_check_deletes_its_job(local: LocalEnvironment) -> None:
    fail(local, job_pending=JOB)
    task = asyncio.create_task(run(local, template(), "green"))
    await eventually(lambda: local.check_jobs().get(f"green/{NS}/{JOB}"), "the Job to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert local.check_jobs() == {}
    assert job_operations(local) == ["start-job", "delete-job"]


# --- Kubernetes, through the API server double ------------------------------------------------------
@pytest.fixture
def green() -> Iterator[ApiServerDouble]:
    with start_double("green") as double:
        yield double


@pytest.fixture
def kube(green: ApiServerDouble) -> Iterator[KubernetesCluster]:
    api_client = green.api_client()
    yield KubernetesCluster({"green": api_client}, source_env="green")
    api_client.close()


async def play_controller(green: ApiServerDouble, log: str, failed: bool) -> dict[str, Any]:
    """The Job controller: once the Job exists, a pod with a log, then the Job's end. Returns the Job
    as it was created."""
    created: dict[str, Any] = await eventually(lambda: green.get_object("jobs", NS, JOB), "the Job")
    green.add_job_pod(NS, JOB, log)
    green.finish_job(NS, JOB, failed=failed)
    return created


def job_requests(green: ApiServerDouble, method: str) -> list[dict[str, str]]:
    return [r.query for r in green.requests if r.method == method and r.path.startswith(JOBS_PATH)]


JOBS_PATH = f"/apis/batch/v1/namespaces/{NS}/jobs"


async def test_a_job_from_a_cronjob_template_passes_and_is_deleted(
    green: ApiServerDouble, kube: KubernetesCluster
) -> None:
    cron = cronjob("smoke")
    cron["spec"]["jobTemplate"]["metadata"] = {"labels": {"app": "smoke"}, "annotations": {"team": "shop"}}
    green.put_object(cron)
    log = "".join(f"line {i}\n" for i in range(150)) + "all 42 end-to-end tests passed\n"
    controller = asyncio.create_task(play_controller(green, log, failed=False))
    result = await run(kube, template(), "green")
    created = await controller

    assert result.verdict is CheckVerdict.PASS, result.summary
    assert result.summary == f"Job {JOB} (cronjob/smoke) in green/{NS} succeeded"
    assert result.excerpt.endswith("line 149\nall 42 end-to-end tests passed\n")
    assert "line 50\n" not in result.excerpt  # the tail: the last 100 lines
    assert created["spec"] == cron["spec"]["jobTemplate"]["spec"]
    assert created["metadata"]["labels"] == {
        "app": "smoke",
        "app.kubernetes.io/managed-by": "cutover",
        CHECK_LABEL: "smoke",
    }
    assert created["metadata"]["annotations"] == {
        "team": "shop",
        "cronjob.kubernetes.io/instantiate": "manual",
    }
    assert "ownerReferences" not in created["metadata"]  # none of the schedule's runs
    assert green.get_object("jobs", NS, JOB) is None
    assert job_requests(green, "DELETE") == [{"propagationPolicy": "Background"}]


async def test_a_job_from_a_manifest_that_fails_fails_the_check(
    green: ApiServerDouble, kube: KubernetesCluster
) -> None:
    controller = asyncio.create_task(play_controller(green, "AssertionError: cart total 0\n", failed=True))
    result = await run(kube, manifest(), "green")
    created = await controller

    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == (f"Job {JOB} (manifest) in green/{NS} failed: Failed: BackoffLimitExceeded")
    assert result.excerpt == "AssertionError: cart total 0\n"
    meta = created["metadata"]
    assert (meta["name"], meta["namespace"]) == (JOB, NS)
    assert meta["labels"] == {
        "team": "payments",
        CHECK_LABEL: "smoke",
        "app.kubernetes.io/managed-by": "cutover",
    }
    assert meta["uid"] != "from-a-live-object"
    assert created["spec"] == manifest().manifest["spec"]  # type: ignore[index]
    assert green.get_object("jobs", NS, JOB) is None


async def test_a_job_still_running_at_the_timeout_errs_with_its_log_and_is_deleted(
    green: ApiServerDouble, kube: KubernetesCluster
) -> None:
    green.put_object(cronjob("smoke"))
    log = "x" * (EXCERPT_CHARS * 3) + "\nstill waiting for the cart service\n"
    labels = {"app.kubernetes.io/managed-by": "cutover", CHECK_LABEL: "smoke"}
    kube.start_check_job("green", NS, JOB, "cronjob/smoke", None, labels)  # so its pod logs in time
    green.set_status("jobs", NS, JOB, {"active": 1})
    green.add_job_pod(NS, JOB, log)
    result = await run(kube, template(), "green", timeout=timedelta(milliseconds=300))

    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.endswith("did not finish within 0s (1 active, 0 succeeded, 0 failed)")
    assert result.excerpt.endswith("still waiting for the cart service\n")
    assert len(result.excerpt) < EXCERPT_CHARS + 50
    assert green.get_object("jobs", NS, JOB) is None


async def test_a_retried_check_starts_no_second_job(green: ApiServerDouble, kube: KubernetesCluster) -> None:
    green.put_object(cronjob("smoke"))
    labels = {"app.kubernetes.io/managed-by": "cutover", CHECK_LABEL: "smoke"}
    kube.start_check_job("green", NS, JOB, "cronjob/smoke", None, labels)  # the attempt that died
    green.finish_job(NS, JOB, failed=True)
    result = await run(kube, template(), "green")
    assert result.verdict is CheckVerdict.FAIL
    assert len(job_requests(green, "POST")) == 1
    assert green.get_object("jobs", NS, JOB) is None


def test_the_adapter_reads_a_running_job_and_deletes_an_absent_one_quietly(
    green: ApiServerDouble, kube: KubernetesCluster
) -> None:
    green.put_object(cronjob("smoke"))
    kube.start_check_job("green", NS, JOB, "cronjob/smoke", None, {CHECK_LABEL: "smoke"})
    green.set_status("jobs", NS, JOB, {"active": 1})
    state = kube.check_job_state("green", NS, JOB)
    assert (state.done, state.message, state.log_tail) == (False, "1 active, 0 succeeded, 0 failed", "")
    kube.delete_check_job("green", NS, JOB)
    kube.delete_check_job("green", NS, JOB)  # a retried delete
    with pytest.raises(PermanentError, match=f"job/{NS}/{JOB} does not exist in green"):
        kube.check_job_state("green", NS, JOB)


def test_the_adapter_refuses_a_missing_template_and_a_job_that_is_not_the_checks(
    green: ApiServerDouble, kube: KubernetesCluster
) -> None:
    with pytest.raises(PermanentError, match=f"cronjob/{NS}/smoke .* does not exist in green") as missing:
        kube.start_check_job("green", NS, JOB, "cronjob/smoke", None, {CHECK_LABEL: "smoke"})
    assert missing.value.kind == "k8s.404"
    green.put_object({"kind": "Job", "metadata": {"name": JOB, "namespace": NS}, "spec": {}})
    with pytest.raises(PermanentError, match="exists and is not this check's Job"):
        kube.start_check_job("green", NS, JOB, None, manifest().manifest, {CHECK_LABEL: "smoke"})


def test_a_log_the_cluster_refuses_is_named_in_the_tail(
    green: ApiServerDouble, kube: KubernetesCluster
) -> None:
    green.put_object(cronjob("smoke"))
    kube.start_check_job("green", NS, JOB, "cronjob/smoke", None, {CHECK_LABEL: "smoke"})
    green.add_job_pod(NS, JOB, "secret-free log\n")
    green.finish_job(NS, JOB)
    green.fail_next(403, "Forbidden", "/log")
    state = kube.check_job_state("green", NS, JOB)
    assert (state.done, state.succeeded, state.message) == (True, True, "Complete")
    assert state.log_tail == "(no log: 403 Forbidden)"
    assert kube.check_job_state("green", NS, JOB).log_tail == "secret-free log\n"
