"""The demo's users: ALB metrics in CloudWatch that follow the weights the ALB actually has.

Each tick reads every service's split back through the production AlbRouter and puts one
second of RequestCount, HTTPCode_Target_5XX_Count and TargetResponseTime per target group,
with the error rate and latency of the local environment's synthetic model (including the
demo's --fail-at-step injection). Analysis therefore sees exactly what the router did.
"""

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.cloudwatch import NAMESPACE
from cutover.platform.aws.config import TargetGroupMetrics
from cutover.platform.errors import PlatformError
from cutover.platform.local import LocalEnvironment, synthetic_sample

REQUESTS_PER_SECOND = 1000
TICK_SECONDS = 1.0  # the demo's 2 s metrics window holds two ticks


class TrafficPublisher:
    """A daemon thread of the demo process; stop it before the moto server goes away."""

    def __init__(
        self,
        router: AlbRouter,
        cloudwatch: Any,
        targets: dict[str, TargetGroupMetrics],
        local: LocalEnvironment,
        echo: Callable[[str], None],
    ):
        self.router = router
        self.cloudwatch = cloudwatch
        self.targets = targets
        self.local = local
        self.echo = echo
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic-publisher", daemon=True)

    def publish(self, now: datetime) -> None:
        """One second of traffic for every routed service, split by the ALB's current weights."""
        state = self.local.read()
        failing_from = state["failures"].get("green_error_from_weight")
        weights = {key: self.router.green_percent(*key.split("/")) for key in self.router.routes}
        data: list[dict[str, Any]] = []
        for key, target in self.targets.items():
            env, namespace, service = key.split("/")
            green_percent = weights[f"{namespace}/{service}"]
            is_blue = env == state["blue"]
            error_rate, p99_ms = synthetic_sample(
                env, namespace, service, green_percent, is_blue, failing_from
            )
            requests = REQUESTS_PER_SECOND * (100 - green_percent if is_blue else green_percent) / 100
            data += _datapoints(target, now, requests, requests * error_rate, p99_ms)
        self.cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            try:
                self.publish(datetime.now(UTC))
            except (BotoCoreError, ClientError, PlatformError) as error:
                self.echo(f"traffic publisher: {error}")
            if self._stop.wait(TICK_SECONDS):
                return


def _datapoints(
    target: TargetGroupMetrics, now: datetime, requests: float, errors: float, p99_ms: float
) -> list[dict[str, Any]]:
    """Expected counts, not rounded ones, so analysis reads the model's rates exactly.

    A target group with no requests has no response time, as on a real ALB.
    """
    dimensions = [
        {"Name": "LoadBalancer", "Value": target.load_balancer},
        {"Name": "TargetGroup", "Value": target.target_group},
    ]
    points: list[dict[str, Any]] = [
        {"MetricName": "RequestCount", "Value": requests, "Unit": "Count"},
        {"MetricName": "HTTPCode_Target_5XX_Count", "Value": errors, "Unit": "Count"},
    ]
    if requests:
        points.append({"MetricName": "TargetResponseTime", "Value": p99_ms / 1000, "Unit": "Seconds"})
    return [{**point, "Dimensions": dimensions, "Timestamp": now} for point in points]
