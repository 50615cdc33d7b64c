"""Which implementation serves each platform role, from the worker's configuration file.

Infrastructure addresses (ARNs, endpoints, contexts) belong to the worker, not to the plan
that operators paste into the UI. The file is YAML, named by CUTOVER_PLATFORM_CONFIG;
without it every role is the local environment.

The Kubernetes and AWS clients load only when a role that needs them is built: the CLI, and a
worker on the local platform, start without them.
"""

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cutover.durations import Duration
from cutover.freezes.windows import FreezesConfig
from cutover.notify.config import NotificationsConfig
from cutover.plan.model import validation_problems
from cutover.platform.aws.config import (
    INSYNC_TIMEOUT,
    INSYNC_TIMEOUT_LIMIT,
    AlbRoute,
    FargateTarget,
    TargetGroupMetrics,
    WeightedRecord,
)
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.gateway_uat_target import GatewayUatTarget
from cutover.platform.interfaces import (
    CapacityProvisioner,
    Cluster,
    MetricsSource,
    ReportStore,
    TrafficRouter,
)
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_reports import LocalReportStore
from cutover.platform.prometheus import PrometheusMetrics, PrometheusQueries

if TYPE_CHECKING:
    from cutover.platform.aws.alb import AlbRouter
    from cutover.platform.aws.cloudwatch import CloudWatchMetrics
    from cutover.platform.aws.eks import FargateProvisioner
    from cutover.platform.aws.route53 import Route53Router
    from cutover.platform.aws.s3 import S3ReportStore
    from cutover.platform.kubernetes.cluster import KubernetesCluster
    from cutover.platform.kubernetes.uat_routes import GatewayUatRoutes

IN_CLUSTER = "in-cluster"
# Seconds; 3 tries of at most 25 s each stay inside an activity's 2-minute start-to-close timeout.
AWS_CONNECT_TIMEOUT = 5
AWS_READ_TIMEOUT = 20
AWS_RETRIES: dict[str, Any] = {"mode": "standard", "total_max_attempts": 3}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Aws(Strict):
    region: str
    endpoint_url: str | None = None

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client whose every call, retries included, ends inside its activity's 2-minute
        timeout (botocore's defaults, 60 s to connect and 60 s to read per try, do not)."""
        import boto3
        from botocore.config import Config

        bounded = Config(
            connect_timeout=AWS_CONNECT_TIMEOUT, read_timeout=AWS_READ_TIMEOUT, retries=AWS_RETRIES
        )
        return boto3.client(
            service, region_name=region or self.region, endpoint_url=self.endpoint_url, config=bounded
        )


class LocalRole(Strict):
    kind: Literal["local"] = "local"


class KubernetesConfig(Strict):
    """Environment name -> kubeconfig context; `in-cluster` names the cluster the worker runs in."""

    kind: Literal["kubernetes"]
    source_env: str
    contexts: dict[str, str]
    kubeconfig: str | None = None

    def build(self) -> "KubernetesCluster":
        if self.source_env not in self.contexts:
            raise PlatformConfigError(f"cluster.source_env: {self.source_env!r} is not in cluster.contexts")
        from kubernetes import config as kube_config

        from cutover.platform.kubernetes.cluster import KubernetesCluster

        clients = {
            env: KubernetesCluster.in_cluster_client()
            if context == IN_CLUSTER
            else kube_config.new_client_from_config(config_file=self.kubeconfig, context=context)
            for env, context in self.contexts.items()
        }
        return KubernetesCluster(clients, self.source_env)


class AlbConfig(Aws):
    kind: Literal["alb"]
    routes: dict[str, AlbRoute]

    def build(self) -> "AlbRouter":
        from cutover.platform.aws.alb import AlbRouter

        return AlbRouter(self.client("elbv2"), self.routes)


class Route53Config(Aws):
    """`insync_timeout` bounds the wait for a change to be INSYNC, inside the activity's timeout."""

    kind: Literal["route53"]
    records: dict[str, WeightedRecord]
    insync_timeout: Duration = INSYNC_TIMEOUT

    @field_validator("insync_timeout")
    @classmethod
    def _inside_the_activity(cls, value: timedelta) -> timedelta:
        seconds, limit = int(value.total_seconds()), int(INSYNC_TIMEOUT_LIMIT.total_seconds())
        if value <= timedelta(0):
            raise ValueError(f"must be more than 0s, got {seconds}s")
        if value >= INSYNC_TIMEOUT_LIMIT:
            raise ValueError(
                f"must be under {limit}s, so the wait ends inside the set_green_percent activity's "
                f"timeout, got {seconds}s"
            )
        return value

    def build(self) -> "Route53Router":
        from cutover.platform.aws.route53 import Route53Router

        return Route53Router(self.client("route53"), self.records, self.insync_timeout)


class CloudWatchConfig(Aws):
    """`region` is the default; `regions` names the region of an environment that lives elsewhere."""

    kind: Literal["cloudwatch"]
    targets: dict[str, TargetGroupMetrics]
    window: Duration = timedelta(minutes=5)  # one sample, for migrations started before 0.4
    latency_stat: str = "p99"
    regions: dict[str, str] = Field(default_factory=dict)
    period: Duration = Field(
        default=timedelta(minutes=1), gt=timedelta(0), description="the metrics' resolution"
    )
    delay: Duration = Field(default=timedelta(minutes=1), description="how late the newest period arrives")

    def build(self) -> "CloudWatchMetrics":
        from cutover.platform.aws.cloudwatch import CloudWatchMetrics

        regional = {env: self.client("cloudwatch", region) for env, region in self.regions.items()}
        return CloudWatchMetrics(
            self.client("cloudwatch"),
            self.targets,
            self.window,
            self.latency_stat,
            regional=regional,
            period=self.period,
            delay=self.delay,
        )


class PrometheusConfig(Strict):
    kind: Literal["prometheus"]
    url: str
    queries: PrometheusQueries


ClusterConfig = Annotated[LocalRole | KubernetesConfig, Field(discriminator="kind")]
RouterConfig = Annotated[LocalRole | AlbConfig | Route53Config, Field(discriminator="kind")]
MetricsConfig = Annotated[LocalRole | CloudWatchConfig | PrometheusConfig, Field(discriminator="kind")]


class FargateConfig(Aws, FargateTarget):
    """Green's EKS cluster: preparation ensures a Fargate profile selects the plan's namespaces."""

    timeout: Duration = timedelta(minutes=15)

    def build(self) -> "FargateProvisioner":
        from cutover.platform.aws.eks import FargateProvisioner

        target = FargateTarget.model_validate(self.model_dump(include=set(FargateTarget.model_fields)))
        return FargateProvisioner(self.client("eks"), target, self.timeout)


class ReviewsConfig(Aws):
    """The report store in S3: every post-release review at s3://bucket/prefix<workflow id>.md, its
    migration's journal under prefix<workflow id>/."""

    bucket: str
    prefix: str = ""

    def build(self) -> "S3ReportStore":
        from cutover.platform.aws.s3 import S3ReportStore

        return S3ReportStore(self.client("s3"), self.bucket, self.prefix)


class GatewayUatConfig(Strict):
    """The testers' routes (a plan's uat.route) as HTTPRoute rules in one cluster of `cluster:` (the
    one whose Gateway the public reaches), instead of on the router."""

    kind: Literal["gateway"]
    env: str = Field(description="the environment (cluster.contexts) whose HTTPRoutes carry the routes")
    routes: dict[str, GatewayUatTarget] = Field(description="namespace/service -> its HTTPRoute and green")


class ApprovalsConfig(Strict):
    """Signed decisions (a plan's gates.verify): who may sign as whom, in OpenSSH's allowed_signers
    format (principals, patterns, namespaces="cutover", valid-after/valid-before)."""

    allowed_signers: str = Field(description="path of the allowed_signers file on the worker")


class PlatformConfig(Strict):
    cluster: ClusterConfig = Field(default_factory=LocalRole)
    router: RouterConfig = Field(default_factory=LocalRole)
    metrics: MetricsConfig = Field(default_factory=LocalRole)
    fargate: FargateConfig | None = None
    reviews: ReviewsConfig | None = None
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    uat: GatewayUatConfig | None = None
    approvals: ApprovalsConfig | None = None
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)
    freezes: FreezesConfig = Field(default_factory=FreezesConfig)


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
    router: TrafficRouter = local if isinstance(config.router, LocalRole) else config.router.build()
    metrics: MetricsSource = local
    if isinstance(config.metrics, CloudWatchConfig):
        metrics = config.metrics.build()
    elif isinstance(config.metrics, PrometheusConfig):
        metrics = PrometheusMetrics(config.metrics.url, config.metrics.queries)
    cluster: Cluster = config.cluster.build() if isinstance(config.cluster, KubernetesConfig) else local
    return cluster, router, metrics


def build_uat_router(config: PlatformConfig, cluster: Cluster) -> "GatewayUatRoutes | None":
    """The testers' routes on Gateway API (`uat:`); None: the router holds them, if it can."""
    if config.uat is None:
        return None
    if not isinstance(config.cluster, KubernetesConfig):
        raise PlatformConfigError("uat: Gateway API routes need cluster.kind kubernetes")
    if config.uat.env not in config.cluster.contexts:
        raise PlatformConfigError(f"uat.env: {config.uat.env!r} is not in cluster.contexts")
    from cutover.platform.kubernetes.cluster import KubernetesCluster
    from cutover.platform.kubernetes.uat_routes import GatewayUatRoutes

    assert isinstance(cluster, KubernetesCluster), "cluster.kind kubernetes builds one"
    return GatewayUatRoutes(cluster.clients[config.uat.env], config.uat.routes, config.uat.env)


def build_capacity(config: PlatformConfig) -> CapacityProvisioner | None:
    """What makes green able to schedule the migrated namespaces; None: green's capacity is assumed."""
    return config.fargate.build() if config.fargate else None


def build_report_store(config: PlatformConfig, folder: Path) -> ReportStore:
    """Where journals and reviews are kept: S3 (`reviews:`), else the folder (the worker's report_dir;
    the platform knows nothing of the worker's settings, so its caller names it)."""
    return config.reviews.build() if config.reviews else LocalReportStore(folder)
