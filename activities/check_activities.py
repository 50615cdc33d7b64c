"""The plan's checks, run by the worker: one activity, the check's kind decides what it does.

Heartbeating throughout and cancelled on abort like any step; a check's secrets come from the
worker's platform config (CheckSecrets: cutover.platform.check_secrets) and never enter its input or
result.
"""

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import activity

from cutover.activities.running import in_thread, report_progress, waiting_activity
from cutover.checks.callback import token_digest
from cutover.checks.results import CheckResult
from cutover.logs import get_logger
from cutover.plan.checks import Check, Stage
from cutover.platform.errors import PermanentError
from cutover.platform.interfaces import CheckSecrets, Cluster

JOB_POLL = timedelta(seconds=2)
WEBHOOK_TIMEOUT = timedelta(seconds=30)  # a delivery's answer; a suite's verdict comes with its callback


class CheckRun(BaseModel):
    """One run of one check: where in the migration (stage, weight) and the check as planned."""

    migration_id: str
    stage: Stage
    weight: int | None = None
    check: Check
    blue_env: str = Field(description="the plan's source environment: where a blue-side check acts")
    green_env: str
    green_percent: dict[str, int] = Field(default_factory=dict, description="for a webhook's context")


class CheckActivities:
    def __init__(self, secrets: CheckSecrets, cluster: Cluster):
        self.secrets = secrets
        self.cluster = cluster

    @activity.defn(name="run_check")
    @waiting_activity
    async def run_check(self, run: CheckRun) -> CheckResult:
        result = await self._run(run)
        get_logger(workflow_id=run.migration_id, stage=run.stage.value).info(
            "check", check=run.check.name, verdict=result.verdict.value, summary=result.summary
        )
        return result

    async def _run(self, run: CheckRun) -> CheckResult:
        # Imported here: where checks run, never where the workflows load (httpx, psycopg, the cluster).
        from cutover.checks.http_probe import run_probes
        from cutover.checks.job_check import check_job_name, run_job
        from cutover.checks.load_check import run_load_check
        from cutover.checks.prom_query import run_prometheus
        from cutover.checks.sql_query import run_sql
        from cutover.checks.webhook import awaiting_callback, call_webhook, webhook_context

        check = run.check
        if check.load is not None:
            headers = self.secrets.headers(check.load.targets.credentials)
            return await run_load_check(check.name, check.load, headers, on_progress=report_progress)
        if check.http is not None:
            headers = self.secrets.headers(check.http.targets.credentials)
            return await run_probes(check.name, check.http, headers)
        if check.job is not None:
            env = run.blue_env if check.job.environment == "blue" else run.green_env
            job_name = check_job_name(run.migration_id, check.name, run.stage.value, run.weight)
            return await run_job(
                self.cluster,
                check.name,
                check.job,
                job_name,
                env,
                poll=JOB_POLL,
                timeout=check.timeout,
                in_thread=in_thread,
            )
        if check.query is not None and check.query.prometheus is not None:
            url, headers = self.secrets.prometheus_endpoint()
            return await run_prometheus(check.name, check.query.prometheus, url, headers)
        if check.query is not None and check.query.sql is not None:
            sql = check.query.sql
            dsns = {side: self.secrets.dsn(sql.database, side) for side in sql.environments}
            return await run_sql(check.name, sql, dsns, statement_timeout=check.timeout.total_seconds())
        if check.webhook is not None:
            url, secret, headers = self.secrets.webhook(check.webhook.endpoint)
            context = webhook_context(
                secret, run.migration_id, check.name, run.stage, run.weight, run.green_percent
            )
            timeout = min(check.timeout, WEBHOOK_TIMEOUT).total_seconds()
            waits = check.webhook.wait_for_callback
            result = await call_webhook(
                check.name, context, url, secret, headers, timeout, wait_for_callback=waits
            )
            if awaiting_callback(result):
                result.awaiting = token_digest(context.callback_token)
            return result
        raise PermanentError(f"checks: kind {check.kind} has no section to run")
