"""What a rehearsal (or the demo) is asked to break, checked against the plan: a name the plan does not
have is refused with one line naming the flag and the names it has, never ignored."""

from dataclasses import dataclass

from cutover.models import WorkloadKind
from cutover.plan.checks import OnFail
from cutover.plan.model import Plan


class UnknownName(ValueError):
    """A flag names something the plan does not have; the message is the one line to show."""


@dataclass(frozen=True)
class Injected:
    """The local environment's failures (cutover.platform.local), the check to fail and the gate to
    reject; what the migration should then end as."""

    failures: dict[str, object]
    failing_check: str | None = None
    reject_at: str | None = None

    def expected_outcome(self, plan: Plan) -> str:
        """`succeeded`, or `rolled-back` where a failure or a rejection must make it roll back (a check
        whose on_fail is advisory is only recorded; one that pauses, the rehearsal then aborts)."""
        if self.failures or self.reject_at:
            return "rolled-back"
        if self.failing_check is not None:
            check = next(c for c in plan.checks if c.name == self.failing_check)
            return "succeeded" if check.on_fail is OnFail.ADVISORY else "rolled-back"
        return "succeeded"


def _known(flag: str, name: str, known: list[str], what: str) -> None:
    if name not in known:
        names = ", ".join(known) if known else "none"
        raise UnknownName(f"{flag}: {name!r} is not {what} of the plan (known: {names})")


def failing_weight_problem(plan: Plan, weight: int) -> str | None:
    """--fail-at-step is a weight (a percentage of green), from which green fails: at 100% no blue is
    left to compare with, so it must be one of the partial steps' range."""
    last = max(plan.partial_steps(), default=0)
    if not 0 < weight <= last:
        if last == 0:
            return "--fail-at-step: the plan has no traffic step below 100%"
        return f"--fail-at-step: {weight} is outside 1..{last} (a weight, not a step number)"
    return None


def injected(
    plan: Plan,
    fail_at_step: int | None = None,
    fail_cronjob: str | None = None,
    fail_check: str | None = None,
    reject_at: str | None = None,
) -> Injected:
    """The failures asked for, each checked against the plan; UnknownName (one line) if one cannot be."""
    failures: dict[str, object] = {}
    if fail_at_step is not None:
        problem = failing_weight_problem(plan, fail_at_step)
        if problem:
            raise UnknownName(problem)
        failures["green_error_from_weight"] = fail_at_step
    if fail_cronjob is not None:
        cronjobs = [s.workload_name for s in plan.services if s.workload_kind is WorkloadKind.CRONJOB]
        _known("--fail-cronjob", fail_cronjob, cronjobs, "a CronJob")
        failures["failing_cron"] = fail_cronjob
    if fail_check is not None:
        _known("--fail-check", fail_check, [c.name for c in plan.checks], "a check")
    if reject_at is not None:
        gates = [g for g in plan.gate_order() if plan.needs_approval(g)]
        _known("--reject-at", reject_at, gates, "a gate")
    return Injected(failures, fail_check, reject_at)
