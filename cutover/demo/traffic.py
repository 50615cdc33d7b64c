"""The demo's users: ALB metrics in CloudWatch that follow the weights the ALB actually has.

Each service takes REQUESTS_PER_SECOND (20,000) requests a second in all, split by the weights
read back through the production AlbRouter. Every tick puts one second of RequestCount,
HTTPCode_Target_5XX_Count and TargetResponseTime per target group, with real noise: the requests
are Poisson around the target group's share of the rate, the 5xx Binomial(requests, error rate).
Blue and green fail DEMO_ERRORS.base_rate (1%) of their requests; with --fail-at-step N, green
fails twice that from weight N on. Analysis therefore sees what the router did, as noisy as
production counts are.

Ticks are TICK_OFFSET into each wall-clock second and stamped with that whole second: moto
compares whole seconds, so a look's window of k seconds holds exactly k ticks (cutover.demo.aws).
Before the first tick the publisher backfills the seconds before it, as a blue that has been serving
for a while would have them: the analysis reads blue's recent history (its baseline) at each step.
"""

import math
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cutover.platform.aws.alb import AlbRouter
from cutover.platform.aws.cloudwatch import NAMESPACE
from cutover.platform.aws.config import TargetGroupMetrics
from cutover.platform.errors import PlatformError
from cutover.platform.local import ErrorModel, LocalEnvironment, synthetic_sample

REQUESTS_PER_SECOND = 20_000  # per service, blue and green together: 400/s on green at the 2% step
DEMO_ERRORS = ErrorModel(base_rate=0.01, failing_rate=0.02)
# Late in the second: a step's first look holds one tick taken before its weight change only when
# the change came in a second's last quarter; yet early enough that the tick of the second before a
# look is stored when the look asks (a tick takes milliseconds).
TICK_OFFSET = 0.75
NORMAL_FROM = 100.0  # a count with at least this mean is drawn from its normal approximation
PUT_BATCH = 500  # data points per PutMetricData call (CloudWatch takes at most 1,000)


def traffic_text(failures: dict[str, object]) -> str:
    """The traffic model in a sentence, for the demo's first lines of output."""
    text = (
        f"Traffic: {REQUESTS_PER_SECOND:,} requests/s per service split by the ALB's weights, "
        f"Poisson per second and target group; 5xx Binomial at {DEMO_ERRORS.base_rate:.0%} in blue and green"
    )
    failing_from = failures.get("green_error_from_weight")
    if failing_from is None:
        return text
    failing = f"{DEMO_ERRORS.failing_rate:.0%}, twice blue's"
    return f"{text}; from {failing_from}% green on, green's at {failing} (--fail-at-step {failing_from})"


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count: exact by inversion for small means, the normal approximation for large."""
    if mean <= 0:
        return 0
    if mean >= NORMAL_FROM:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    return _inverted(rng, math.exp(-mean), lambda k: mean / (k + 1))


def binomial(rng: random.Random, trials: int, p: float) -> int:
    """A Binomial(trials, p) count, exact or normal as `poisson` (random.binomialvariate is 3.12+)."""
    if trials <= 0 or p <= 0:
        return 0
    if p > 0.5:
        return trials - binomial(rng, trials, 1 - p)
    mean = trials * p
    if mean >= NORMAL_FROM:
        return min(trials, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))
    odds = p / (1 - p)
    return min(trials, _inverted(rng, (1 - p) ** trials, lambda k: odds * (trials - k) / (k + 1)))


def _inverted(rng: random.Random, first: float, ratio: Callable[[int], float]) -> int:
    """Inversion sampling of a count whose P(0) is `first` and P(k+1) = P(k) * ratio(k)."""
    u, k, probability = rng.random(), 0, first
    cumulative = probability
    while u > cumulative and probability > 0:
        probability *= ratio(k)
        k += 1
        cumulative += probability
    return k


class TrafficPublisher:
    """A daemon thread of the demo process; stop it before the moto server goes away."""

    def __init__(
        self,
        router: AlbRouter,
        cloudwatch: Any,
        targets: dict[str, TargetGroupMetrics],
        local: LocalEnvironment,
        echo: Callable[[str], None],
        rng: random.Random | None = None,
    ):
        self.router = router
        self.cloudwatch = cloudwatch
        self.targets = targets
        self.local = local
        self.echo = echo
        self.rng = rng or random.Random()
        self._last: datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic-publisher", daemon=True)

    def backfill(self, seconds: int, now: datetime) -> None:
        """The `seconds` whole seconds before `now`, at the ALB's current weights: blue's history."""
        second = now.replace(microsecond=0)
        data = [
            point for ago in range(seconds, 0, -1) for point in self._second(second - timedelta(seconds=ago))
        ]
        for start in range(0, len(data), PUT_BATCH):
            self.cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start : start + PUT_BATCH])

    def publish(self, now: datetime) -> None:
        """The second `now` falls in, split by the ALB's current weights; once per second at most."""
        second = now.replace(microsecond=0)
        if second == self._last:
            return
        self._last = second
        self.cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=self._second(second))

    def _second(self, second: datetime) -> list[dict[str, Any]]:
        """One second's data points of every target group."""
        state = self.local.read()
        failing_from = state["failures"].get("green_error_from_weight")
        weights = {key: self.router.green_percent(*key.split("/")) for key in self.router.routes}
        data: list[dict[str, Any]] = []
        for key, target in self.targets.items():
            env, namespace, service = key.split("/")
            green_percent = weights[f"{namespace}/{service}"]
            is_blue = env == state["blue"]
            error_rate, p99_ms = synthetic_sample(
                env, namespace, service, green_percent, is_blue, failing_from, DEMO_ERRORS
            )
            share = (100 - green_percent if is_blue else green_percent) / 100
            requests = poisson(self.rng, REQUESTS_PER_SECOND * share)
            errors = binomial(self.rng, requests, error_rate)
            data += _datapoints(target, second, requests, errors, p99_ms)
        return data

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(seconds_to_next_tick(time.time())):
            try:
                self.publish(datetime.now(UTC))
            except (BotoCoreError, ClientError, PlatformError) as error:
                self.echo(f"traffic publisher: {error}")


def seconds_to_next_tick(now: float) -> float:
    """Seconds from `now` (epoch seconds) to the next point TICK_OFFSET into a second."""
    return (TICK_OFFSET - now) % 1.0


def _datapoints(
    target: TargetGroupMetrics, second: datetime, requests: int, errors: int, p99_ms: float
) -> list[dict[str, Any]]:
    """One second's counts of one target group; one with no requests has no response time, as on a
    real ALB."""
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
    return [{**point, "Dimensions": dimensions, "Timestamp": second} for point in points]
