"""Green's capacity on EKS: make sure a Fargate profile selects the migrated namespaces."""

from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from cutover.platform.aws.config import FargateTarget
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError

FARGATE_LABEL = {"cutover.dev/fargate": "true"}


class FargateProfileSpec(BaseModel):
    cluster: str
    name: str
    pod_execution_role_arn: str
    subnets: list[str]
    namespaces: list[str]


class FargateProvisioner:
    """The CapacityProvisioner for EKS Fargate: ensures the profile in two steps, so the activity can
    heartbeat while EKS creates it."""

    def __init__(self, eks: Any, target: FargateTarget, timeout: timedelta = timedelta(minutes=15)):
        self.eks = eks
        self.target = target
        self.timeout = timeout

    @property
    def description(self) -> str:
        return f"fargate profile {self.target.profile_name}"

    def spec(self, namespaces: list[str]) -> FargateProfileSpec:
        t = self.target
        return FargateProfileSpec(
            cluster=t.cluster,
            name=t.profile_name,
            pod_execution_role_arn=t.pod_execution_role_arn,
            subnets=t.subnets,
            namespaces=sorted(set(namespaces)),
        )

    def request(self, namespaces: list[str]) -> None:
        request_fargate_profile(self.eks, self.spec(namespaces))

    def active_arn(self, namespaces: list[str]) -> str | None:
        return fargate_profile_arn_when_active(self.eks, self.spec(namespaces))


def request_fargate_profile(eks: Any, spec: FargateProfileSpec) -> None:
    """Create the profile if it is missing; an existing one must already select every namespace."""
    try:
        profile = _describe(eks, spec)
        if profile is not None:
            _check_selectors(profile, spec)
            return
        eks.create_fargate_profile(
            clusterName=spec.cluster,
            fargateProfileName=spec.name,
            podExecutionRoleArn=spec.pod_execution_role_arn,
            subnets=spec.subnets,
            selectors=[{"namespace": ns, "labels": FARGATE_LABEL} for ns in spec.namespaces],
        )
    except ClientError as error:
        raise translate(error, "CreateFargateProfile", _resource(spec)) from error


def fargate_profile_arn_when_active(eks: Any, spec: FargateProfileSpec) -> str | None:
    """The profile's ARN once ACTIVE, None while EKS is still creating it; a failed profile is final."""
    try:
        profile = _describe(eks, spec)
    except ClientError as error:
        raise translate(error, "DescribeFargateProfile", _resource(spec)) from error
    if profile is None or profile["status"] == "CREATING":
        return None
    if profile["status"] != "ACTIVE":
        raise PermanentError(f"{_resource(spec)} is {profile['status']}")
    return str(profile["fargateProfileArn"])


def _resource(spec: FargateProfileSpec) -> str:
    return f"fargate profile {spec.cluster}/{spec.name}"


def _describe(eks: Any, spec: FargateProfileSpec) -> dict[str, Any] | None:
    try:
        profile: dict[str, Any] = eks.describe_fargate_profile(
            clusterName=spec.cluster, fargateProfileName=spec.name
        )["fargateProfile"]
        return profile
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def _check_selectors(profile: dict[str, Any], spec: FargateProfileSpec) -> None:
    """A profile is immutable: an existing one that misses a namespace needs a human, not a retry."""
    covered = {s["namespace"] for s in profile.get("selectors", [])}
    missing = sorted(set(spec.namespaces) - covered)
    if missing:
        raise PermanentError(
            f"fargate profile {spec.cluster}/{spec.name} exists but does not select namespaces {missing}; "
            f"profiles are immutable: create another profile"
        )
