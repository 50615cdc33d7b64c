"""Which Jobs a CronJob started, and whether each has finished and how.

The rule, from the Job controller's contract: a Job has *finished* once it carries a terminal
condition, ``Complete`` or ``Failed`` with status "True" (``completionTime`` is only ever set with
``Complete``, so it counts as one), and no pod of it is active any more. Everything else is still
running, including a Job whose ``failed`` count is above zero (the controller retries until the
backoff limit, then adds ``Failed``), one whose ``succeeded`` count has not reached its completions,
and one marked ``SuccessCriteriaMet`` / ``FailureTarget`` while its pods are still terminating.

The same rule judges a check's Job (`kind: job`), built here from a CronJob's job template or the
plan's manifest.
"""

import copy
from datetime import datetime
from typing import Any

from cutover.platform.kubernetes.api import Obj

TERMINAL = ("Complete", "Failed")


def owned_by(job: Obj, cron_name: str, cron_uid: str) -> bool:
    """Started by this very CronJob: same name *and* uid, so an earlier CronJob's leftovers do not count."""
    return any(
        ref.get("kind") == "CronJob" and ref.get("name") == cron_name and ref.get("uid") == cron_uid
        for ref in (job.get("metadata") or {}).get("ownerReferences") or []
    )


def _terminal_condition(status: Obj) -> str | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") in TERMINAL and condition.get("status") == "True":
            return str(condition["type"])
    return "Complete" if status.get("completionTime") else None


def terminal_text(job: Obj) -> str:
    """What the Job's status says, in one line: its terminal condition (type, reason, message) once it
    has one, else how many of its pods are active, succeeded and failed."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("type") in TERMINAL and condition.get("status") == "True":
            parts = (condition["type"], condition.get("reason"), condition.get("message"))
            return ": ".join(str(part) for part in parts if part)
    if status.get("completionTime"):
        return "Complete"
    counts = ((key, int(status.get(key) or 0)) for key in ("active", "succeeded", "failed"))
    return ", ".join(f"{count} {key}" for key, count in counts)


def outcome(job: Obj) -> bool | None:
    """True if the Job succeeded, False if it failed, None while it has not finished."""
    status = job.get("status") or {}
    terminal = _terminal_condition(status)
    if terminal is None or int(status.get("active") or 0) > 0:
        return None
    return terminal == "Complete"


def newest(jobs: list[Obj]) -> Obj:
    """The most recently created Job (name breaks ties: the controller suffixes the scheduled time)."""
    return max(jobs, key=lambda j: (j["metadata"].get("creationTimestamp", ""), j["metadata"]["name"]))


RESUMED_AT = "cutover.io/resumed-at"  # annotation: when a hand-over last enabled the CronJob


def scheduled_job(cron: Obj, name: str, scheduled: datetime) -> Obj:
    """The Job the controller would have started for `scheduled`, as `kubectl create job --from` makes
    it: the CronJob's job template, owned by the CronJob, marked as started by hand."""
    meta = cron["metadata"]
    owner = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    annotations = {"batch.kubernetes.io/cronjob-scheduled-timestamp": scheduled.isoformat()}
    job = job_from_template(cron, name, {}, annotations)
    job["metadata"]["ownerReferences"] = [owner]
    return job


def job_from_template(cron: Obj, name: str, labels: dict[str, str], annotations: dict[str, str]) -> Obj:
    """A Job from the CronJob's job template, as `kubectl create job NAME --from=cronjob/...` makes it
    (marked as started by hand), with `labels` and `annotations` over the template's."""
    meta, template = cron["metadata"], (cron.get("spec") or {}).get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": {**(template_meta.get("labels") or {}), **labels},
            "annotations": {
                **(template_meta.get("annotations") or {}),
                "cronjob.kubernetes.io/instantiate": "manual",
                **annotations,
            },
        },
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


# Fields the API server sets: a manifest taken from a live object must not carry them into a create.
SERVER_SET = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "generateName",
)


def check_job_from_template(cron: Obj, name: str, labels: dict[str, str]) -> Obj:
    """A check's Job from the CronJob's job template, owned by no CronJob: a check's run is none of the
    schedule's (the CronJob controller's history limit would delete it, and its runs' looks, e.g.
    active_cron_jobs, would count it)."""
    return job_from_template(cron, name, labels, {})


def check_job_from_manifest(
    manifest: dict[str, Any], namespace: str, name: str, labels: dict[str, str]
) -> Obj:
    """The plan's Job manifest with the check's name, namespace and labels (the manifest's own labels
    kept unless the check's have the same key); everything else as given, bar a status and the fields
    the server sets."""
    job: Obj = copy.deepcopy(manifest)
    job.pop("status", None)
    meta = {key: value for key, value in (job.get("metadata") or {}).items() if key not in SERVER_SET}
    meta.update(name=name, namespace=namespace, labels={**(meta.get("labels") or {}), **labels})
    job["metadata"] = meta
    job.setdefault("apiVersion", "batch/v1")
    return job
