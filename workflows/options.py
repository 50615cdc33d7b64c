"""Activity options shared by the workflows: the one place that owns timeouts and retry policies.

Every activity call takes one of these `workflow.ActivityConfig` values (or one `heartbeating`
builds), so a workflow names what it calls and how it may fail, never a timeout of its own.
Replay does not compare these values with a recorded history; tests/workflows/test_activity_options.py
does: they are the options the released workflows scheduled their activities with.
"""

from datetime import timedelta
from typing import Final

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from cutover.activities.running import HEARTBEAT_TIMEOUT

ACTIVITY_TIMEOUT = timedelta(minutes=2)
FORWARD_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=1))
UNDO_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1))

# Every activity heartbeats (cutover.activities.running): one lost with its worker is retried
# after HEARTBEAT_TIMEOUT, not after its start-to-close timeout. A cancelled activity (abort) is
# waited for until it has stopped, so no undo runs while it could still act.
# A step forward: a few retries, then the migration rolls back.
FORWARD: Final[workflow.ActivityConfig] = {
    "start_to_close_timeout": ACTIVITY_TIMEOUT,
    "heartbeat_timeout": HEARTBEAT_TIMEOUT,
    "retry_policy": FORWARD_RETRY,
    "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}
# A step of the rollback: fewer retries, then the undo waits for a human (`resume`).
UNDO: Final[workflow.ActivityConfig] = {
    "start_to_close_timeout": ACTIVITY_TIMEOUT,
    "heartbeat_timeout": HEARTBEAT_TIMEOUT,
    "retry_policy": UNDO_RETRY,
    "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}

# A page of the journal to the report store: a few retries; a store that stays down costs a page of
# lines in the store (the status and the history keep them), never the migration.
JOURNAL: Final[workflow.ActivityConfig] = {
    "start_to_close_timeout": ACTIVITY_TIMEOUT,
    "heartbeat_timeout": HEARTBEAT_TIMEOUT,
    "retry_policy": UNDO_RETRY,
    "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}

# A signed decision's check: ssh-keygen answers in milliseconds; a worker that cannot run it is tried
# a few times, then the decision is refused with why (the approver sends it again), never the gate.
VERIFY: Final[workflow.ActivityConfig] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": UNDO_RETRY,
}

# A notification: a destination that fails is tried again for about five minutes, then the timeline
# says it was not delivered; the migration never waits on it.
NOTIFY: Final[workflow.ActivityConfig] = {
    "start_to_close_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(
        maximum_attempts=6, initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=2)
    ),
}

# Whether the plan's environments are frozen: a local activity of a few describes, tried for up to
# two minutes; after that the migration holds and asks again (it never goes on unsure).
FREEZE_LOOKUP: Final[workflow.LocalActivityConfig] = {
    "start_to_close_timeout": timedelta(seconds=20),
    "schedule_to_close_timeout": timedelta(minutes=2),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=20)
    ),
}

# A check: under its own timeout, tried once. A check retries what it may itself (an http probe); a
# second attempt of a load or a Job would be a second load or Job, so a lost worker is an error.
CHECK_ONCE = RetryPolicy(maximum_attempts=1)


def checking(timeout: timedelta) -> workflow.ActivityConfig:
    return {
        "start_to_close_timeout": timeout + ACTIVITY_TIMEOUT,
        "heartbeat_timeout": HEARTBEAT_TIMEOUT,
        "retry_policy": CHECK_ONCE,
        "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }


def heartbeating(wait: timedelta, retry: RetryPolicy = FORWARD_RETRY) -> workflow.ActivityConfig:
    """An activity that polls for up to `wait` (its heartbeats carry the deadline across retries)."""
    return {
        "start_to_close_timeout": wait + ACTIVITY_TIMEOUT,
        "heartbeat_timeout": HEARTBEAT_TIMEOUT,
        "retry_policy": retry,
        "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }


# Patch id: a keeper refused a lease asks whether its holder still runs, and takes a stale one
# (cutover.activities.stale_leases): 0.6's keepers outlive a run's continue-as-new (ABANDON).
STALE_LEASES = "stale-leases"
# Patch id: a lease keeper starts its leases LEASES_AT_ONCE at a time, so each of its tasks stays short.
LEASE_CHUNKS = "lease-chunks"

# Upper bound for provisioning green's capacity; the worker's config sets the real wait inside it.
PROVISION_TIMEOUT = timedelta(minutes=30)
# How long the lease keepers may take to start one lease workflow per workload.
LEASE_TIMEOUT = timedelta(minutes=5)

# Patch id: rollouts, blue's running Jobs and green's first cron run are awaited by heartbeating activities.
HEARTBEAT_WAITS = "heartbeat-waits"
# Patch id: preparation ensures green's capacity (EKS Fargate profile) after discovery.
PREPARE_TARGET = "prepare-target"
# Patch id: preparation leases every planned workload in blue and green before it reads or changes anything.
WORKLOAD_LEASES = "workload-leases"
# Patch id: the MigrationOutcome search attribute (running, then succeeded / rolled-back).
OUTCOME_ATTRIBUTE = "outcome-attribute"
# A child's history is short, so replaying it fits a short workflow task timeout, and a worker
# killed in the middle of a child's task costs only that (cutover.temporal.start_options).
CHILD_TASK_TIMEOUT = timedelta(seconds=4)
# A lease keeper of a thousand workloads and an analysis group near its continue-as-new replay a few
# thousand events in one task: room for that on a busy machine.
LONG_CHILD_TASK_TIMEOUT = timedelta(seconds=30)
# Patch id: an abort cancels the activity or child workflow in flight instead of waiting for it.
INTERRUPTIBLE_STEPS = "interruptible-steps"
# Patch id: bakes and the monitoring window look every analysis.interval (cutover.analysis).
CONTINUOUS_ANALYSIS = "continuous-analysis"
# Patch id: the analysis of 0.5 (cutover.analysis): noise learned from blue's baseline, latency as
# counts, burn-rate limits, change detectors. Migrations that began their first bake on 0.4 keep
# cutover.analysis.v04 to the end.
ROBUST_ANALYSIS = "robust-analysis"
# Patch id: 0.6's migration (bounded runs: continue-as-new, analysis groups, fan-out). Its absence
# marks a migration started on 0.5, which cutover.workflows.v05 runs to its end.
BOUNDED_RUNS = "bounded-runs"
# From 0.7: before each unit of the spine, the migration asks whether a change freeze holds it.
CHANGE_FREEZES = "change-freezes"
