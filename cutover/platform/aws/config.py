"""What the AWS adapters are configured with, as the worker's platform config spells it.

Plain models, apart from the adapters: reading the config loads no AWS client.
"""

from datetime import timedelta

from pydantic import BaseModel

# Route 53's wait for a change to be INSYNC runs inside the set_green_percent activity, which has a
# 2-minute start-to-close timeout (cutover.workflows.options.ACTIVITY_TIMEOUT, which the platform
# may not import: tests/aws/test_route53_router.py checks these against it). The wait
# ends well inside that, leaving room for the UPSERT and the read-back; a change still PENDING then
# fails the attempt as transient, and the retry UPSERTs the same weights again (an absolute state).
INSYNC_TIMEOUT = timedelta(seconds=60)
# The router's `insync_timeout` is refused at or above this.
INSYNC_TIMEOUT_LIMIT = timedelta(seconds=100)
# Between two GetChange calls: short next to the wait, gentle on Route 53's 5 requests/s per account.
INSYNC_POLL_INTERVAL = timedelta(seconds=5)


class AlbRoute(BaseModel):
    """Where one service's traffic is split: a listener (default action) or one of its rules."""

    listener_arn: str
    rule_arn: str | None = None
    blue_target_group_arn: str
    green_target_group_arn: str


class WeightedRecord(BaseModel):
    """A DNS name served by blue and green, e.g. a CNAME to each environment's load balancer."""

    zone_id: str
    name: str
    type: str = "CNAME"
    ttl: int = 60
    blue_value: str
    green_value: str
    blue_set_id: str = "blue"
    green_set_id: str = "green"


class TargetGroupMetrics(BaseModel):
    """CloudWatch dimensions of one environment's target group, e.g. app/shop/123, targetgroup/green/456."""

    load_balancer: str
    target_group: str


class FargateTarget(BaseModel):
    """Green's EKS cluster and the profile cutover keeps for the migrated namespaces."""

    cluster: str
    profile_name: str = "cutover"
    pod_execution_role_arn: str
    subnets: list[str]
