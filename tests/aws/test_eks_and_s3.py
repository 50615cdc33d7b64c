"""Fargate profile and review upload against moto over HTTP."""

import uuid
from typing import Any

import pytest

from cutover.platform.aws.eks import (
    FargateProfileSpec,
    fargate_profile_arn_when_active,
    request_fargate_profile,
)
from cutover.platform.aws.s3 import upload_review
from cutover.platform.errors import PermanentError

ROLE = "arn:aws:iam::123456789012:role/fargate-pods"


def cluster(aws: Any) -> tuple[str, list[str]]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    name = f"green-{uuid.uuid4().hex[:6]}"
    aws("eks").create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": [subnet]})
    return name, [subnet]


def test_profile_created_once_and_active(aws: Any) -> None:
    name, subnets = cluster(aws)
    spec = FargateProfileSpec(
        cluster=name,
        name="cutover",
        pod_execution_role_arn=ROLE,
        subnets=subnets,
        namespaces=["shop", "billing"],
    )
    request_fargate_profile(aws("eks"), spec)
    first = fargate_profile_arn_when_active(aws("eks"), spec)
    request_fargate_profile(aws("eks"), spec)
    second = fargate_profile_arn_when_active(aws("eks"), spec)
    assert first is not None and first == second
    assert aws("eks").list_fargate_profiles(clusterName=name)["fargateProfileNames"] == ["cutover"]
    profile = aws("eks").describe_fargate_profile(clusterName=name, fargateProfileName="cutover")
    selectors = profile["fargateProfile"]["selectors"]
    assert {s["namespace"] for s in selectors} == {"shop", "billing"}
    assert all(s["labels"] == {"cutover.dev/fargate": "true"} for s in selectors)


def test_existing_profile_missing_a_namespace_needs_a_human(aws: Any) -> None:
    name, subnets = cluster(aws)
    spec = FargateProfileSpec(
        cluster=name, name="cutover", pod_execution_role_arn=ROLE, subnets=subnets, namespaces=["shop"]
    )
    request_fargate_profile(aws("eks"), spec)
    wider = spec.model_copy(update={"namespaces": ["shop", "payments"]})
    with pytest.raises(PermanentError, match=r"does not select namespaces \['payments'\]"):
        request_fargate_profile(aws("eks"), wider)


def test_unknown_cluster_is_permanent(aws: Any) -> None:
    spec = FargateProfileSpec(
        cluster="nope", name="cutover", pod_execution_role_arn=ROLE, subnets=["s"], namespaces=["shop"]
    )
    with pytest.raises(PermanentError) as caught:
        request_fargate_profile(aws("eks"), spec)
    assert caught.value.kind == "aws.ResourceNotFoundException" and "nope/cutover" in str(caught.value)


def test_review_uploaded_and_readable(aws: Any) -> None:
    bucket = f"reviews-{uuid.uuid4().hex[:6]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    address = upload_review(s3, bucket, "shop/cutover-shop.md", "# Post-release review\n")
    assert address == f"s3://{bucket}/shop/cutover-shop.md"
    body = s3.get_object(Bucket=bucket, Key="shop/cutover-shop.md")["Body"].read()
    assert body == b"# Post-release review\n"
    with pytest.raises(PermanentError, match="NoSuchBucket") as caught:
        upload_review(s3, "no-such-bucket-here", "x.md", "x")
    assert caught.value.kind == "aws.NoSuchBucket"
