"""One owner per workload: the leases a migration takes, named as Temporal workflow ids.

A lease is a running workflow whose id names one workload in one environment; Temporal lets only
one workflow run under an id, so only one migration can hold it. Leases are children of a keeper
per environment (TERMINATE: they end with it), itself a child of the migration that outlives the
migration's continue-as-new (ABANDON). A migration gives its leases back when it ends; the leases of
one a human terminated are taken by the next migration that needs them
(cutover.activities.stale_leases), so a lease never blocks once its migration has closed.
"""

from dataclasses import dataclass

from cutover.plan.model import Plan

LEASE_PREFIX = "cutover-lease"
HOLDER_MEMO = "holder"


@dataclass(frozen=True, order=True)
class WorkloadKey:
    env: str
    namespace: str
    kind: str
    name: str

    @property
    def lease_id(self) -> str:
        return f"{LEASE_PREFIX}/{self.env}/{self.namespace}/{self.kind}/{self.name}"

    def describe(self) -> str:
        return f"{self.kind}/{self.name} in namespace {self.namespace} of {self.env}"


def planned_workloads(plan: Plan, env: str) -> list[WorkloadKey]:
    """Every workload the plan touches in env (blue and green both hold a copy of each)."""
    keys = set()
    for service in plan.services:
        keys.add(WorkloadKey(env, service.namespace, service.workload_kind, service.workload_name))
    return sorted(keys)


def keeper_id(holder: str, role: str) -> str:
    """The keeper workflow of a migration's leases in its source or target environment."""
    return f"{holder}/leases-{role}"
