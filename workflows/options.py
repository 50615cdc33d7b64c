"""Activity timeouts and retries shared by the workflows."""

from datetime import timedelta

from temporalio.common import RetryPolicy

ACTIVITY_TIMEOUT = timedelta(minutes=2)
FORWARD_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=1))
UNDO_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1))
# Upper bound for provisioning green's capacity; the worker's config sets the real wait inside it.
PROVISION_TIMEOUT = timedelta(minutes=30)
# Patch id: rollouts, blue's running Jobs and green's first cron run are awaited by heartbeating activities.
HEARTBEAT_WAITS = "heartbeat-waits"
# Patch id: preparation ensures green's capacity (EKS Fargate profile) after discovery.
PREPARE_TARGET = "prepare-target"
# Patch id: preparation leases every planned workload in blue and green before it reads or changes anything.
WORKLOAD_LEASES = "workload-leases"
# Patch id: the MigrationOutcome search attribute (running, then succeeded / rolled-back).
OUTCOME_ATTRIBUTE = "outcome-attribute"
# How long the lease keepers may take to start one lease workflow per workload.
LEASE_TIMEOUT = timedelta(minutes=5)
