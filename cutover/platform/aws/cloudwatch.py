"""MetricsSource over CloudWatch: ALB target-group request count, 5xx count and response time."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from cutover.platform.aws.config import TargetGroupMetrics
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError

NAMESPACE = "AWS/ApplicationELB"


class CloudWatchMetrics:
    def __init__(
        self,
        cloudwatch: Any,
        targets: dict[str, TargetGroupMetrics],
        window: timedelta = timedelta(minutes=5),
        latency_stat: str = "p99",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        regional: dict[str, Any] | None = None,
    ):
        """regional: a client per environment whose metrics live in another region than cloudwatch's."""
        self.cloudwatch = cloudwatch
        self.regional = regional or {}
        self.targets = targets
        self.window = window
        self.latency_stat = latency_stat
        self.clock = clock

    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        """(5xx / requests, response time in ms at latency_stat) over the last window."""
        key = f"{env}/{namespace}/{service}"
        if key not in self.targets:
            raise PermanentError(f"no CloudWatch target group configured for {key}")
        target = self.targets[key]
        dimensions = [
            {"Name": "LoadBalancer", "Value": target.load_balancer},
            {"Name": "TargetGroup", "Value": target.target_group},
        ]
        period = max(60, int(self.window.total_seconds()))

        def query(query_id: str, metric: str, stat: str) -> dict[str, Any]:
            return {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dimensions},
                    "Period": period,
                    "Stat": stat,
                },
            }

        end = self.clock()
        cloudwatch = self.regional.get(env, self.cloudwatch)
        try:
            response = cloudwatch.get_metric_data(
                MetricDataQueries=[
                    query("requests", "RequestCount", "Sum"),
                    query("errors", "HTTPCode_Target_5XX_Count", "Sum"),
                    query("latency", "TargetResponseTime", self.latency_stat),
                ],
                StartTime=end - self.window,
                EndTime=end,
            )
        except ClientError as error:
            raise translate(error, "GetMetricData", target.target_group) from error
        values = {r["Id"]: r["Values"] for r in response["MetricDataResults"]}
        requests = sum(values.get("requests", []))
        errors = sum(values.get("errors", []))
        latency_seconds = max(values.get("latency", []), default=0.0)
        return (errors / requests if requests else 0.0), latency_seconds * 1000
