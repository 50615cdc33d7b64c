"""MetricsSource over CloudWatch: ALB target-group request count, 5xx count and response time.

Latency counts come from the percentile-rank statistic: PR(:T) is the percentage of
TargetResponseTime samples at most T seconds, so SampleCount x (100 - PR) / 100 are slower than T.
They are read only when latency_stat is a percentile (pNN): the analysis counts against that
percentile, and a source without percentiles (moto, which answers them with an error) has no ranks.
"""

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from cutover.analysis.counts import Baseline, LatencyThresholds, Side
from cutover.platform.aws.config import TargetGroupMetrics
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError

NAMESPACE = "AWS/ApplicationELB"
PERCENTILE = re.compile(r"p\d+(\.\d+)?")

Series = dict[datetime, float]  # one statistic's value per period, by the period's start


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
        period = max(60, int(self.window.total_seconds()))
        figures = self._series(env, namespace, service, end - self.window, end, period, {})
        requests, errors = sum(figures["requests"].values()), sum(figures["errors"].values())
        latency_seconds = max(figures["latency"].values(), default=0.0)
        return (errors / requests if requests else 0.0), latency_seconds * 1000

    def counts(
        self,
        env: str,
        namespace: str,
        service: str,
        window: timedelta,
        latency: LatencyThresholds | None = None,
    ) -> Side:
        """RequestCount and HTTPCode_Target_5XX_Count sums, TargetResponseTime at latency_stat and
        its SampleCount, with `latency` the samples slower than its thresholds, over the last window's
        whole periods (counted_span); no data is zero requests, no p99."""
        start, end = self.counted_span(window)
        thresholds = self._thresholds(latency)
        figures = self._series(
            env, namespace, service, start, end, int(self.period.total_seconds()), thresholds
        )
        return _side(figures)

    def baseline(
        self, env: str, namespace: str, service: str, period: timedelta, periods: int, limit_ms: float
    ) -> Baseline:
        """The last `periods` whole periods that ended `delay` ago, `period` rounded up to whole
        periods of the metrics; compare_ms is latency_stat over them all. Two GetMetricData calls:
        the span's latency first, as the slow counts are counted against it."""
        step = self.period.total_seconds()
        seconds = max(1, math.ceil(period.total_seconds() / step)) * step
        end = datetime.fromtimestamp(self._arrived_end(seconds), UTC)
        start = end - periods * timedelta(seconds=seconds)
        compare_ms = self._span_latency_ms(env, namespace, service, start, end)
        thresholds = self._thresholds(LatencyThresholds(compare_ms, limit_ms))
        figures = self._series(env, namespace, service, start, end, int(seconds), thresholds)
        by_period: list[dict[str, Series]] = [{name: {} for name in figures} for _ in range(periods)]
        for name, series in figures.items():
            for at, value in series.items():
                index = math.floor((at - start).total_seconds() / seconds)
                if 0 <= index < periods:
                    by_period[index][name][at] = value
        return Baseline(tuple(_side(one) for one in by_period), seconds, compare_ms)

    def counted_span(self, window: timedelta) -> tuple[datetime, datetime]:
        """Whole periods ending `delay` ago: periods the ALB is still publishing are read later, and
        looks at least a window apart read adjoining spans, so no request is counted twice."""
        period = self.period.total_seconds()
        end = self._arrived_end(period)
        span = max(1, math.floor(window.total_seconds() / period)) * period
        return datetime.fromtimestamp(end - span, UTC), datetime.fromtimestamp(end, UTC)

    def _arrived_end(self, step: float) -> float:
        """The end (epoch seconds) of the last whole `step` that ended at least `delay` ago."""
        return math.floor((self.clock() - self.delay).timestamp() / step) * step

    def _thresholds(self, latency: LatencyThresholds | None) -> dict[str, float]:
        """The thresholds (ms) to count slow samples against, by query id; none without a
        percentile latency_stat (see the module's docstring)."""
        if latency is None or not PERCENTILE.fullmatch(self.latency_stat):
            return {}
        wanted = {"slow": latency.compare_ms, "slow_over_limit": latency.limit_ms}
        return {name: ms for name, ms in wanted.items() if ms is not None}

    def _span_latency_ms(
        self, env: str, namespace: str, service: str, start: datetime, end: datetime
    ) -> float | None:
        """latency_stat over start..end in one period; CloudWatch wants whole minutes there, so a
        span that is not reaches further back."""
        seconds = math.ceil((end - start).total_seconds() / 60) * 60
        figures = self._series(env, namespace, service, end - timedelta(seconds=seconds), end, seconds, {})
        latency = max(figures["latency"].values(), default=None)
        return None if latency is None else latency * 1000

    def _series(
        self,
        env: str,
        namespace: str,
        service: str,
        start: datetime,
        end: datetime,
        period: int,
        thresholds: Mapping[str, float],
    ) -> dict[str, Series]:
        """requests, errors, latency and samples, and PR(:T) for each threshold, per period."""
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

        queries = [
            query("requests", "RequestCount", "Sum"),
            query("errors", "HTTPCode_Target_5XX_Count", "Sum"),
            query("latency", "TargetResponseTime", self.latency_stat),
            query("samples", "TargetResponseTime", "SampleCount"),
        ]
        queries += [query(name, "TargetResponseTime", percentile_rank(ms)) for name, ms in thresholds.items()]
        cloudwatch = self.regional.get(env, self.cloudwatch)
        try:
            response = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
        except ClientError as error:
            raise translate(error, "GetMetricData", target.target_group) from error
        found = {
            r["Id"]: {at: float(v) for at, v in zip(r["Timestamps"], r["Values"], strict=True)}
            for r in response["MetricDataResults"]
        }
        return {q["Id"]: found.get(q["Id"], {}) for q in queries}


def percentile_rank(threshold_ms: float) -> str:
    """The statistic of the share (%) of samples at most threshold_ms; TargetResponseTime is in seconds."""
    seconds = f"{threshold_ms / 1000:.6f}".rstrip("0").rstrip(".")
    return f"PR(:{seconds})"


def slower_than(samples: Series, ranks: Series) -> int | None:
    """Samples slower than a PR(:T) threshold: SampleCount x (100 - PR) / 100 per period, rounded
    once over their sum; None when a period with samples has no rank (statistic sets without values
    give CloudWatch nothing to rank): never a guess."""
    if any(count and at not in ranks for at, count in samples.items()):
        return None
    slow = sum(count * (100 - ranks[at]) / 100 for at, count in samples.items() if count)
    return min(round(sum(samples.values())), max(0, round(slow)))


def _side(figures: dict[str, Series]) -> Side:
    """The counts of the periods in figures; the latency is the highest period's."""
    requests = round(sum(figures["requests"].values()))
    errors = round(sum(figures["errors"].values()))
    samples = round(sum(figures["samples"].values()))
    latency = max(figures["latency"].values(), default=None)
    return Side(
        requests=requests,
        errors=min(errors, requests),
        p99_ms=None if latency is None or not samples else latency * 1000,
        latency_samples=samples,
        slow=_slow(figures, "slow"),
        slow_over_limit=_slow(figures, "slow_over_limit"),
    )


def _slow(figures: dict[str, Series], name: str) -> int | None:
    """The samples slower than the threshold queried as `name`; None where it was not queried."""
    return slower_than(figures["samples"], figures[name]) if name in figures else None
