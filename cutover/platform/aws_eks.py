"""Green's capacity on EKS: make sure a Fargate profile selects the migrated namespaces."""

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel
from temporalio.exceptions import ApplicationError

from cutover.platform.aws_errors import translate

FARGATE_LABEL = {"cutover.dev/fargate": "true"}


class FargateProfileSpec(BaseModel):
    cluster: str
    name: str
    pod_execution_role_arn: str
    subnets: list[str]
    namespaces: list[str]


def ensure_fargate_profile(
    eks: Any,
    spec: FargateProfileSpec,
    timeout: float = 900.0,
    poll: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Create the profile if it is missing (idempotent) and wait until it is ACTIVE; return its ARN."""
    resource = f"fargate profile {spec.cluster}/{spec.name}"
    try:
        profile = _describe(eks, spec)
        if profile is None:
            eks.create_fargate_profile(
                clusterName=spec.cluster,
                fargateProfileName=spec.name,
                podExecutionRoleArn=spec.pod_execution_role_arn,
                subnets=spec.subnets,
                selectors=[{"namespace": ns, "labels": FARGATE_LABEL} for ns in spec.namespaces],
            )
        else:
            _check_selectors(profile, spec)
        waited = 0.0
        while (profile := _describe(eks, spec)) is not None and profile["status"] != "ACTIVE":
            if profile["status"] in ("CREATE_FAILED", "DELETING", "DELETE_FAILED"):
                raise ApplicationError(f"{resource} is {profile['status']}", non_retryable=True)
            if waited >= timeout:
                raise ApplicationError(f"{resource} not ACTIVE after {waited:.0f}s")
            sleep(poll)
            waited += poll
    except ClientError as error:
        raise translate(error, "ensure", resource) from error
    assert profile is not None
    return str(profile["fargateProfileArn"])


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
        raise ApplicationError(
            f"fargate profile {spec.cluster}/{spec.name} exists but does not select namespaces {missing}; "
            f"profiles are immutable: create another profile",
            non_retryable=True,
        )
