"""`cutover plan validate|show`: check a plan and print what it would do."""

import click

from cutover.cli.errors import CliError
from cutover.durations import format_duration as fmt
from cutover.models import WorkloadKind
from cutover.plan.history_budget import RUN_EVENT_LIMIT, estimate_history, history_problems
from cutover.plan.model import Exposure, Plan, PlanError, load_plan, may_be_exposed
from cutover.plan.steps import step_sequence
from cutover.plan.traffic_estimate import TrafficCheck, check_traffic
from cutover.plan.traffic_report import expected_rate, green_requests, traffic_warnings, unchecked
from cutover.platform.local import LocalEnvironment
from cutover.temporal.settings import local_state_path


def _refuse(path: str, problems: list[str]) -> CliError:
    if len(problems) == 1:
        return CliError(f"{path}: {problems[0]}")
    lines = "\n".join(f"  {p}" for p in problems)
    return CliError(f"{path}: plan is invalid ({len(problems)} problem(s)):\n{lines}")


def read_plan(path: str) -> Plan:
    """A valid plan whose migration fits Temporal's history limit, or a CliError listing why not."""
    try:
        plan = load_plan(path)
    except PlanError as error:
        raise _refuse(path, error.problems) from None
    problems = history_problems(plan)
    if problems:
        raise _refuse(path, problems)
    return plan


def classify(plan: Plan) -> dict[str, bool]:
    """Exposure per service: declared, a CronJob (never exposed), or looked up in the local env."""
    exposed: dict[str, bool] = {}
    for service in plan.services:
        if service.exposure != Exposure.DISCOVER:
            exposed[service.name] = service.exposure == Exposure.EXPOSED
        elif service.workload_kind == WorkloadKind.CRONJOB:
            exposed[service.name] = False
        else:
            exposed[service.name] = _discover_locally(plan, service.name)
    return exposed


def _discover_locally(plan: Plan, name: str) -> bool:
    service = next(s for s in plan.services if s.name == name)
    env = LocalEnvironment(local_state_path())
    if plan.source.kind != "local" or not env.path.exists():
        raise CliError(
            f"services.{name}.exposure: 'discover' is decided at run time; declare "
            f"'exposed' or 'non-exposed' to show the steps"
        )
    found = env.find(plan.source.name, service.namespace, service.workload_kind, service.workload_name)
    if found is None:
        raise CliError(
            f"services: unknown service {name!r}: {service.workload} not in "
            f"{plan.source.name}/{service.namespace}"
        )
    return found.exposed


@click.group("plan")
def plan_group() -> None:
    """Validate a plan or show the steps it would run."""


@plan_group.command("validate")
@click.argument("file")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan as JSON (for the UI's Start Workflow form)"
)
def validate(file: str, as_json: bool) -> None:
    """Exit 0 with a summary, or 2 with every problem and its field path; warnings do not fail it."""
    plan = read_plan(file)
    check = check_traffic(plan, [s for s in plan.services if may_be_exposed(s)])
    if as_json:
        click.echo(plan.model_dump_json(indent=2))
        warn(traffic_warnings(plan, check))
        return
    g = plan.gates
    click.echo(f"plan {plan.name!r} is valid")
    click.echo(f"  from {plan.source.name} ({plan.source.kind}) to {plan.target.name} ({plan.target.kind})")
    for s in plan.services:
        click.echo(f"  service {s.name}: {s.workload} in {s.namespace}, exposure {s.exposure.value}")
    click.echo(
        f"  non-exposed: batches of {plan.non_exposed.batch_size}, {plan.non_exposed.parallelism} at once"
    )
    click.echo(
        f"  traffic steps {plan.traffic.steps}, bake {fmt(plan.traffic.bake)} each; parallel "
        f"operation {fmt(plan.parallel_operation.duration)}"
    )
    click.echo(
        f"  gates needing approval: {', '.join(g.require) or 'none'}; approvers: "
        f"{', '.join(g.approvers) or 'none'}; timeout {fmt(g.timeout)} then {g.on_timeout.value}"
    )
    for gate in g.policies:
        click.echo(f"  gate {gate}: {g.quorum_of(gate)} of {', '.join(g.approvers_of(gate))}")
    click.echo(f"  pause and resume: {', '.join(plan.operators) or 'anyone'}; abort: anyone")
    decommission = (
        "then gate decommission scales it to zero" if plan.monitoring.decommission else "no decommission"
    )
    click.echo(
        f"  monitoring {fmt(plan.monitoring.window)} after full cutover, blue the hot standby "
        f"(`cutover revert`); {decommission}"
    )
    if plan.uat.route:
        click.echo(f"  uat route: requests with {plan.uat.route} reach green while the uat gate is open")
    for planned in plan.checks:
        weights = f" at {', '.join(f'{w}%' for w in planned.weights)}" if planned.weights else ""
        stages = ", ".join(stage.value for stage in planned.stages)
        looks = " (at every look)" if planned.continuous else ""
        click.echo(
            f"  check {planned.name} ({planned.kind}) at {stages}{weights}{looks}: "
            f"on fail {planned.on_fail.value}"
        )
    history = estimate_history(plan)
    click.echo(
        f"  workflow history: about {history.total:,} events over the migration's runs, "
        f"{history.largest_run:,} in its largest run (a run may record {RUN_EVENT_LIMIT:,})"
    )
    for traffic in dict.fromkeys(e.traffic for e in check.estimates):
        click.echo(f"  green requests per step at {expected_rate(check, traffic)}:")
        for estimate in (e for e in check.estimates if e.traffic == traffic):
            click.echo(f"    {estimate.step.name}: {green_requests(estimate)}")
    _note_unchecked(plan, check)
    warn(traffic_warnings(plan, check))


@plan_group.command("show")
@click.argument("file")
def show(file: str) -> None:
    """Dry run: the exact ordered steps the workflow would run, and green's traffic in each."""
    plan = read_plan(file)
    exposed = classify(plan)
    check = check_traffic(plan, [s for s in plan.services if exposed[s.name]])
    for number, step in enumerate(step_sequence(plan, exposed), start=1):
        click.echo(f"{number:3d}. {step.text}")
        for estimate in check.estimates:
            if (estimate.step.kind, estimate.step.weight) == (step.kind, step.weight):
                click.echo(
                    f"       green at {expected_rate(check, estimate.traffic)}: {green_requests(estimate)}"
                )
    _note_unchecked(plan, check)
    warn(traffic_warnings(plan, check))


def _note_unchecked(plan: Plan, check: TrafficCheck) -> None:
    note = unchecked(plan, check)
    if note:
        click.echo(f"  {note}")


def warn(warnings: list[str]) -> None:
    """On stderr, like errors: stdout stays the summary, the steps or the plan's JSON."""
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
