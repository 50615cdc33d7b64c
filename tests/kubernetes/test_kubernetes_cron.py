"""CronJob suspend flags, the Jobs still running, and one-look run outcomes (Jobs matched by CronJob uid)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from cutover.platform.errors import PermanentError
from cutover.platform.kubernetes.cluster import KubernetesCluster
from tests.kubernetes.apiserver_double import ApiServerDouble, job_status
from tests.kubernetes.conftest import NS, cronjob, ref

Doubles = dict[str, ApiServerDouble]
CRON_PATH = f"/apis/batch/v1/namespaces/{NS}/cronjobs/nightly"


def job(name: str, created: str, status: dict[str, Any], uid: str, owner: str = "nightly") -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": created,
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": owner, "uid": uid}],
        },
        "spec": {"template": {"spec": {"containers": []}}},
        "status": status,
    }


def condition(type_: str, status: str = "True") -> dict[str, Any]:
    return {"type": type_, "status": status}


# --- suspend flags -----------------------------------------------------------------------------
def test_set_cron_suspended_merge_patches_the_flag_idempotently(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    blue = doubles["eks"]
    blue.put_object(cronjob("nightly"))
    cluster.set_cron_suspended("eks", NS, "nightly", True)
    suspended = blue.get_object("cronjobs", NS, "nightly")
    assert suspended is not None and suspended["spec"]["suspend"] is True
    assert suspended["spec"]["schedule"] == "0 2 * * *"
    patch = blue.requests[-1]
    assert (patch.method, patch.path, patch.headers["content-type"]) == (
        "PATCH",
        CRON_PATH,
        "application/merge-patch+json",
    )
    cluster.set_cron_suspended("eks", NS, "nightly", True)  # a retried activity
    assert blue.get_object("cronjobs", NS, "nightly") == suspended
    cluster.set_cron_suspended("eks", NS, "nightly", False)
    assert cluster.cron_enabled_in(NS, "nightly") == ["eks"]


@pytest.mark.parametrize(
    ("suspended", "message"),
    [
        (True, "suspend cronjob/shop/nightly in fargate failed: 404"),
        (False, "cronjob/shop/nightly does not exist in fargate"),
    ],
)
def test_set_cron_suspended_on_a_missing_cronjob_is_permanent(
    cluster: KubernetesCluster, suspended: bool, message: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        cluster.set_cron_suspended("fargate", NS, "nightly", suspended)
    assert caught.value.kind == "k8s.404"
    assert caught.value.message.startswith(message)


# --- resuming counts from now; missed times run once, by the controller's Job name ---------------
def test_resume_counts_from_now_and_is_recorded_once(doubles: Doubles, cluster: KubernetesCluster) -> None:
    blue = doubles["eks"]
    cron = cronjob("nightly")
    cron["spec"]["suspend"] = True
    cron["status"] = {"lastScheduleTime": "2026-01-01T02:00:00Z"}
    blue.put_object(cron)
    before = datetime.now(UTC).replace(microsecond=0)
    cluster.set_cron_suspended("eks", NS, "nightly", False)
    schedule = cluster.cron_schedule("eks", NS, "nightly")
    assert schedule.schedule == "0 2 * * *" and schedule.time_zone is None
    assert schedule.resumed_at is not None and schedule.resumed_at >= before
    assert schedule.last_scheduled == schedule.resumed_at, "the controller would start the missed 02:00"
    status_patch = next(r for r in blue.requests if r.path == CRON_PATH + "/status")
    assert status_patch.method == "PATCH"
    writes = len([r for r in blue.requests if r.method != "GET"])
    cluster.set_cron_suspended("eks", NS, "nightly", False)  # a retried hand-over
    assert len([r for r in blue.requests if r.method != "GET"]) == writes, "an enabled CronJob was touched"
    assert cluster.cron_schedule("eks", NS, "nightly").resumed_at == schedule.resumed_at


def test_a_missed_time_runs_once_as_the_controllers_job(doubles: Doubles, cluster: KubernetesCluster) -> None:
    green = doubles["fargate"]
    cron = cronjob("nightly")
    green.put_object(cron)
    uid = green.get_object("cronjobs", NS, "nightly")["metadata"]["uid"]  # type: ignore[index]
    due = datetime(2026, 1, 1, 2, tzinfo=UTC)
    assert cluster.start_scheduled_run("fargate", NS, "nightly", due) is True
    name = f"nightly-{int(due.timestamp()) // 60}"
    job = green.get_object("jobs", NS, name)
    assert job is not None
    assert job["metadata"]["ownerReferences"][0]["uid"] == uid
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["spec"] == cron["spec"]["jobTemplate"]["spec"]
    assert cluster.start_scheduled_run("fargate", NS, "nightly", due) is False, "the same time ran twice"
    assert cluster.active_cron_jobs("fargate", NS, "nightly") == [name]


def test_copy_again_after_hand_over_keeps_green_enabled(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(cronjob("nightly"))
    cluster.apply_copy(ref("cronjob", "nightly"))
    cluster.set_cron_suspended("eks", NS, "nightly", True)
    cluster.set_cron_suspended("fargate", NS, "nightly", False)
    cluster.apply_copy(ref("cronjob", "nightly"))  # a retried or replayed deploy activity
    assert cluster.cron_enabled_in(NS, "nightly") == ["fargate"]


# --- active Jobs -------------------------------------------------------------------------------
def test_active_cron_jobs_are_the_unfinished_jobs_of_this_very_cronjob(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    blue = doubles["eks"]
    uid = blue.put_object(cronjob("nightly"))["metadata"]["uid"]
    t = "2026-01-01T02:00:00Z"
    for name, status, owner_uid, owner in (
        ("running", {"active": 1}, uid, "nightly"),
        ("retrying", {"failed": 1, "active": 0}, uid, "nightly"),  # backoff left: the controller retries
        ("partly-done", {"succeeded": 1}, uid, "nightly"),  # of several completions
        ("pods-terminating", {"active": 1, "conditions": [condition("Failed")]}, uid, "nightly"),
        ("success-criteria-met", {"conditions": [condition("SuccessCriteriaMet")]}, uid, "nightly"),
        ("complete-false", {"conditions": [condition("Complete", "False")]}, uid, "nightly"),
        ("succeeded", job_status("succeeded"), uid, "nightly"),
        ("failed", job_status("failed"), uid, "nightly"),
        ("completion-time-only", {"succeeded": 1, "completionTime": t}, uid, "nightly"),
        ("earlier-cronjob", {"active": 1}, "an-earlier-uid", "nightly"),
        ("other-cronjob", {"active": 1}, uid, "hourly"),
    ):
        blue.put_object(job(name, t, status, owner_uid, owner))
    assert cluster.active_cron_jobs("eks", NS, "nightly") == [
        "complete-false",
        "partly-done",
        "pods-terminating",
        "retrying",
        "running",
        "success-criteria-met",
    ]


def test_no_active_jobs_when_the_cronjob_is_absent(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(job("orphan", "2026-01-01T02:00:00Z", {"active": 1}, "gone"))
    assert cluster.active_cron_jobs("eks", NS, "nightly") == []


def test_active_jobs_follow_the_simulated_controller(doubles: Doubles, cluster: KubernetesCluster) -> None:
    blue = doubles["eks"]
    blue.put_object(cronjob("nightly"))
    started = blue.run_schedules(running={"nightly"})
    assert cluster.active_cron_jobs("eks", NS, "nightly") == started
    blue.finish_job(NS, started[0])
    assert cluster.active_cron_jobs("eks", NS, "nightly") == []


# --- runs --------------------------------------------------------------------------------------
def test_first_run_outcome_looks_once_at_the_newest_owned_job(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    green = doubles["fargate"]
    uid = green.put_object(cronjob("nightly"))["metadata"]["uid"]
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-1") is None  # no Job yet
    green.put_object(job("other-1", "2026-01-09T00:00:00Z", job_status("failed"), uid, owner="other"))
    green.put_object(job("nightly-1", "2026-01-01T00:00:00Z", job_status("failed"), uid))
    green.put_object(job("nightly-2", "2026-01-02T00:00:00Z", job_status("succeeded"), uid))
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-1") is True
    green.put_object(job("nightly-3", "2026-01-03T00:00:00Z", job_status("failed"), uid))
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-2") is False
    green.put_object(job("nightly-4", "2026-01-04T00:00:00Z", {"failed": 1}, uid))  # retrying
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-3") is None
    green.set_status("jobs", NS, "nightly-4", job_status("succeeded"))
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-3") is True


def test_first_run_outcome_ignores_jobs_of_an_earlier_cronjob_of_the_same_name(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    green = doubles["fargate"]
    uid = green.put_object(cronjob("nightly"))["metadata"]["uid"]
    green.put_object(job("nightly-old", "2026-01-05T00:00:00Z", job_status("failed"), "an-earlier-copy"))
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-1") is None
    green.put_object(job("nightly-1", "2026-01-01T00:00:00Z", job_status("succeeded"), uid))
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-1") is True


def test_first_run_outcome_of_a_missing_cronjob_is_permanent(cluster: KubernetesCluster) -> None:
    with pytest.raises(PermanentError) as caught:
        cluster.first_run_outcome("fargate", NS, "nightly", "run-1")
    assert caught.value.kind == "k8s.404"
    assert caught.value.message == "cronjob/shop/nightly (run run-1) does not exist in fargate"


def test_hand_over_sequence_against_simulated_schedules(doubles: Doubles, cluster: KubernetesCluster) -> None:
    """The activity's order (suspend blue, wait for its Jobs, resume green): only green runs it."""
    blue, green = doubles["eks"], doubles["fargate"]
    blue.put_object(cronjob("nightly"))
    cluster.apply_copy(ref("cronjob", "nightly"))
    assert green.run_schedules() == []  # the copy is created suspended
    cluster.set_cron_suspended("eks", NS, "nightly", True)
    assert cluster.active_cron_jobs("eks", NS, "nightly") == []
    cluster.set_cron_suspended("fargate", NS, "nightly", False)
    assert blue.run_schedules() == [] and len(green.run_schedules(fail={"nightly"})) == 1
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-1") is False
    green.run_schedules()
    assert cluster.first_run_outcome("fargate", NS, "nightly", "run-2") is True
