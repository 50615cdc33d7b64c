"""MetricsSource over CloudWatch: ALB target-group request count, 5xx count and response time."""

import math
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
        period: timedelta = timedelta(minutes=1),
        delay: timedelta = timedelta(minutes=1),
    ):
        """regional: a client per environment whose metrics live in another region than cloudwatch's;
        period: the metrics' resolution (the ALB's: 1 minute); delay: how late they arrive."""
        self.cloudwatch = cloudwatch
        self.regional = regional or {}
        self.targets = targets
        self.window = window
        self.latency_stat = latency_stat
        self.clock = clock
        self.period = period
        self.delay = delay

    def sample(self, env: str, namespace: str, service: str) -> tuple[float, float]:
        """(5xx / requests, response time in ms at latency_stat) over the last window."""
        end = self.clock()
        figures = self._figures(
            env, namespace, service, end - self.window, end, max(60, int(self.window.total_seconds()))
        )
        requests, errors = sum(figures["requests"]), sum(figures["errors"])
        latency_seconds = max(figures["latency"], default=0.0)
        return (errors / requests if requests else 0.0), latency_seconds * 1000

    def counts(self, env: str, namespace: str, service: str, window: timedelta) -> Side:
        """RequestCount and HTTPCode_Target_5XX_Count sums, TargetResponseTime at latency_stat and
        its SampleCount, over the last window's whole periods (counted_span); no data is zero
        requests, no p99."""
        start, end = self.counted_span(window)
        figures = self._figures(env, namespace, service, start, end, int(self.period.total_seconds()))
        requests, errors = round(sum(figures["requests"])), round(sum(figures["errors"]))
        samples = round(sum(figures["samples"]))
        latency = max(figures["latency"], default=None)
        return Side(
            requests=requests,
            errors=min(errors, requests),
            p99_ms=None if latency is None or not samples else latency * 1000,
            latency_samples=samples,
        )

    def counted_span(self, window: timedelta) -> tuple[datetime, datetime]:
        """Whole periods ending `delay` ago: periods the ALB is still publishing are read later, and
        looks at least a window apart read adjoining spans, so no request is counted twice."""
        period = self.period.total_seconds()
        end = math.floor((self.clock() - self.delay).timestamp() / period) * period
        span = max(1, math.floor(window.total_seconds() / period)) * period
        return datetime.fromtimestamp(end - span, UTC), datetime.fromtimestamp(end, UTC)

    def _figures(
        self, env: str, namespace: str, service: str, start: datetime, end: datetime, period: int
    ) -> dict[str, list[float]]:
        key = f"{env}/{namespace}/{service}"
        if key not in self.targets:
            raise PermanentError(f"no CloudWatch target group configured for {key}")
        target = self.targets[key]
        dimensions = [
            {"Name": "LoadBalancer", "Value": target.load_balancer},
            {"Name": "TargetGroup", "Value": target.target_group},
        ]

        def query(query_id: str, metric: str, stat: str) -> dict[str, Any]:
            return {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dimensions},
                    "Period": period,
                    "Stat": stat,
                },
            }

        cloudwatch = self.regional.get(env, self.cloudwatch)
        try:
            response = cloudwatch.get_metric_data(
                MetricDataQueries=[
                    query("requests", "RequestCount", "Sum"),
                    query("errors", "HTTPCode_Target_5XX_Count", "Sum"),
                    query("latency", "TargetResponseTime", self.latency_stat),
                    query("samples", "TargetResponseTime", "SampleCount"),
                ],
                StartTime=start,
                EndTime=end,
            )
        except ClientError as error:
            raise translate(error, "GetMetricData", target.target_group) from error
        values = {r["Id"]: [float(v) for v in r["Values"]] for r in response["MetricDataResults"]}
        return {name: values.get(name, []) for name in ("requests", "errors", "latency", "samples")}
