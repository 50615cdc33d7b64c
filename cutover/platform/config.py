"""Which implementation serves each platform role, from the worker's configuration file.

Infrastructure addresses (ARNs, endpoints, contexts) belong to the worker, not to the plan
that operators paste into the UI. The file is YAML, named by CUTOVER_PLATFORM_CONFIG;
without it every role is the local environment.
"""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import boto3
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cutover.durations import Duration
from cutover.plan import validation_problems
from cutover.platform.aws_alb import AlbRoute, AlbRouter
from cutover.platform.aws_cloudwatch import CloudWatchMetrics, TargetGroupMetrics
from cutover.platform.aws_route53 import Route53Router, WeightedRecord
from cutover.platform.interfaces import Cluster, MetricsSource, TrafficRouter
from cutover.platform.local import LocalEnvironment
from cutover.platform.prometheus import PrometheusMetrics, PrometheusQueries


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Aws(Strict):
    region: str
    endpoint_url: str | None = None

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url)


class LocalRole(Strict):
    kind: Literal["local"] = "local"


class AlbConfig(Aws):
    kind: Literal["alb"]
    routes: dict[str, AlbRoute]


class Route53Config(Aws):
    kind: Literal["route53"]
    records: dict[str, WeightedRecord]


class CloudWatchConfig(Aws):
    kind: Literal["cloudwatch"]
    targets: dict[str, TargetGroupMetrics]
    window: Duration = timedelta(minutes=5)
    latency_stat: str = "p99"


class PrometheusConfig(Strict):
    kind: Literal["prometheus"]
    url: str
    queries: PrometheusQueries


RouterConfig = Annotated[LocalRole | AlbConfig | Route53Config, Field(discriminator="kind")]
MetricsConfig = Annotated[LocalRole | CloudWatchConfig | PrometheusConfig, Field(discriminator="kind")]


class PlatformConfig(Strict):
    cluster: LocalRole = Field(default_factory=LocalRole)
    router: RouterConfig = Field(default_factory=LocalRole)
    metrics: MetricsConfig = Field(default_factory=LocalRole)


class PlatformConfigError(Exception):
    pass


def load_platform_config(path: str | Path | None) -> PlatformConfig:
    if path is None:
        return PlatformConfig()
    file = Path(path)
    if not file.is_file():
        raise PlatformConfigError(f"{path}: platform config file not found")
    try:
        return PlatformConfig.model_validate(yaml.safe_load(file.read_text()) or {})
    except yaml.YAMLError as error:
        raise PlatformConfigError(f"{path}: malformed YAML: {str(error).splitlines()[0]}") from None
    except ValidationError as error:
        raise PlatformConfigError(f"{path}: " + "; ".join(validation_problems(error))) from None


def build_platform(
    config: PlatformConfig, local: LocalEnvironment
) -> tuple[Cluster, TrafficRouter, MetricsSource]:
    router: TrafficRouter = local
    if isinstance(config.router, AlbConfig):
        router = AlbRouter(config.router.client("elbv2"), config.router.routes)
    elif isinstance(config.router, Route53Config):
        router = Route53Router(config.router.client("route53"), config.router.records)
    metrics: MetricsSource = local
    if isinstance(config.metrics, CloudWatchConfig):
        metrics = CloudWatchMetrics(
            config.metrics.client("cloudwatch"),
            config.metrics.targets,
            config.metrics.window,
            config.metrics.latency_stat,
        )
    elif isinstance(config.metrics, PrometheusConfig):
        metrics = PrometheusMetrics(config.metrics.url, config.metrics.queries)
    return local, router, metrics
