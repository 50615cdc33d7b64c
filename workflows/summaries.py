"""The one-line summaries a migration gives the workflows it starts (Temporal's user metadata).

A migration of a few services is ten workflows in the Web UI's list: its leases, their keepers, its
service children, analysis groups and continuous checks. Each says what it is and which migration it
serves, so an operator can tell them from the migration; the leases say outright they are not one.
"""

from cutover.leases import WorkloadKey
from cutover.models import ServiceRef
from cutover.plan.checks import Stage
from cutover.text import cut

SUMMARY_MAX = 200  # the Web UI's one-line summary (Temporal caps it at 400 bytes)
NOT_A_MIGRATION = "not a migration"


def lease_summary(key: WorkloadKey, holder: str) -> str:
    return cut(
        f"lease held for {holder}: {key.kind}/{key.name} in {key.namespace} of {key.env}; {NOT_A_MIGRATION}",
        SUMMARY_MAX,
    )


def keeper_summary(holder: str, env: str, workloads: int) -> str:
    return cut(
        f"lease keeper for {holder}: holds its {workloads} workload(s) in {env}; {NOT_A_MIGRATION}",
        SUMMARY_MAX,
    )


def service_summary(green: ServiceRef, migration: str) -> str:
    return cut(
        f"moves {green.kind}/{green.name} ({green.service}) to green {green.env} for {migration}", SUMMARY_MAX
    )


def group_summary(migration: str, group: int, services: int) -> str:
    return cut(
        f"analysis group {group} of {migration}: judges green against blue for {services} "
        f"service(s) at every look",
        SUMMARY_MAX,
    )


def checks_summary(migration: str, checks: list[str], stage: Stage, weight: int | None) -> str:
    where = stage.value + (f" at {weight}%" if weight is not None else "")
    return cut(f"checks at every look for {migration} at {where}: {', '.join(checks)}", SUMMARY_MAX)
