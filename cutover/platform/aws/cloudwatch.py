"""MetricsSource over CloudWatch: ALB target-group request count, 5xx count and response time."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from cutover.analysis.counts import Side
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
        figures = self._figures(env, namespace, service, self.window)
        requests, errors = sum(figures["requests"]), sum(figures["errors"])
        latency_seconds = max(figures["latency"], default=0.0)
        return (errors / requests if requests else 0.0), latency_seconds * 1000

    def counts(self, env: str, namespace: str, service: str, window: timedelta) -> Side:
        """RequestCount and HTTPCode_Target_5XX_Count sums, TargetResponseTime at latency_stat and
        its SampleCount, over the last window (one period); no data is zero requests, no p99."""
        figures = self._figures(env, namespace, service, window)
        requests, errors = round(sum(figures["requests"])), round(sum(figures["errors"]))
        samples = round(sum(figures["samples"]))
        latency = max(figures["latency"], default=None)
        return Side(
            requests=requests,
            errors=min(errors, requests),
            p99_ms=None if latency is None or not samples else latency * 1000,
            latency_samples=samples,
        )

    def _figures(self, env: str, namespace: str, service: str, window: timedelta) -> dict[str, list[float]]:
        key = f"{env}/{namespace}/{service}"
        if key not in self.targets:
            raise PermanentError(f"no CloudWatch target group configured for {key}")
        target = self.targets[key]
        dimensions = [
            {"Name": "LoadBalancer", "Value": target.load_balancer},
            {"Name": "TargetGroup", "Value": target.target_group},
        ]
        period = max(60, int(window.total_seconds()))

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
                    query("samples", "TargetResponseTime", "SampleCount"),
                ],
                StartTime=end - window,
                EndTime=end,
            )
        except ClientError as error:
            raise translate(error, "GetMetricData", target.target_group) from error
        values = {r["Id"]: [float(v) for v in r["Values"]] for r in response["MetricDataResults"]}
        return {name: values.get(name, []) for name in ("requests", "errors", "latency", "samples")}
