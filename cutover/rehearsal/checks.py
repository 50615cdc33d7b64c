"""The plan's checks in a rehearsal: simulated, since each would reach a real system (a URL, a
database, a CI webhook, a cluster's Job). Every one passes, but the one named to fail, whose
evidence says it was simulated: a rehearsal tells what the migration does with a verdict, not
whether green is good."""

from cutover.activities.check_activities import CheckActivities, CheckRun
from cutover.checks.results import CheckResult, CheckVerdict
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.interfaces import Cluster

SIMULATED = "simulated by the rehearsal, nothing sent to"


class SimulatedChecks(CheckActivities):
    """CheckActivities whose `run_check` answers without reaching anything."""

    def __init__(self, cluster: Cluster, failing: str | None):
        super().__init__(ChecksConfig(), cluster)
        self.failing = failing
        self.runs: list[CheckRun] = []

    async def _run(self, run: CheckRun) -> CheckResult:
        self.runs.append(run)
        check, where = run.check, f"{run.stage.value}" + (f" at {run.weight}%" if run.weight else "")
        if check.name == self.failing:
            return CheckResult(
                check=check.name,
                kind=check.kind,
                verdict=CheckVerdict.FAIL,
                summary=f"failed on purpose at {where} (--fail-check): {SIMULATED} its target",
                excerpt=f"{SIMULATED} the {check.kind} check's target; the failure was injected",
            )
        return CheckResult(
            check=check.name,
            kind=check.kind,
            verdict=CheckVerdict.PASS,
            summary=f"{SIMULATED} its target",
        )
