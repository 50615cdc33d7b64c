"""The plan's checks, run by the worker: one activity, the check's kind decides what it does.

Heartbeating throughout and cancelled on abort like any step; a check's secrets come from the
worker's platform config (CheckSecrets: cutover.platform.check_secrets) and never enter its input or
result.
"""

from pydantic import BaseModel
from temporalio import activity

from cutover.activities.running import waiting_activity
from cutover.checks.results import CheckResult
from cutover.logs import get_logger
from cutover.plan.checks import Check, Stage
from cutover.platform.errors import PermanentError
from cutover.platform.interfaces import CheckSecrets


class CheckRun(BaseModel):
    """One run of one check: where in the migration (stage, weight) and the check as planned."""

    migration_id: str
    stage: Stage
    weight: int | None = None
    check: Check


class CheckActivities:
    def __init__(self, secrets: CheckSecrets):
        self.secrets = secrets

    @activity.defn(name="run_check")
    @waiting_activity
    async def run_check(self, run: CheckRun) -> CheckResult:
        from cutover.checks.http_probe import run_probes  # httpx: loaded where checks run, not in workflows

        check = run.check
        if check.http is None:
            raise PermanentError(f"checks: kind {check.kind} cannot run on this worker yet")
        headers = self.secrets.headers(check.http.targets.credentials)
        result = await run_probes(check.name, check.http, headers)
        get_logger(workflow_id=run.migration_id, stage=run.stage.value).info(
            "check", check=check.name, verdict=result.verdict.value, summary=result.summary
        )
        return result
