"""The activities that use EKS and S3: green's Fargate profile in preparation, the journal and the review
in the S3 report store."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from cutover.activities.migration_activities import MigrationActivities
from cutover.demo.motoserver import REGION
from cutover.demo.seed import seed
from cutover.journal import count_page, next_page
from cutover.models import (
    Event,
    EventKind,
    JournalPageRequest,
    MigrationStatus,
    ReportRequest,
    TargetCapacity,
)
from cutover.platform.aws.config import FargateTarget
from cutover.platform.aws.eks import FargateProvisioner
from cutover.platform.aws.s3 import S3ReportStore
from cutover.platform.interfaces import ReportStore
from cutover.platform.local_reports import LocalReportStore
from cutover.platform.wiring import PlatformConfigError, load_platform_config
from tests.aws.test_eks_and_s3 import ROLE, cluster


def activities(tmp_path: Path, reports: ReportStore | None = None, **extras: Any) -> MigrationActivities:
    local = seed(tmp_path / "local-env.json")
    folder = tmp_path / "reports"
    return MigrationActivities(local, local, local, folder, reports or LocalReportStore(folder), **extras)


async def test_prepare_target_creates_the_profile_for_the_plan_namespaces(aws: Any, tmp_path: Path) -> None:
    name, subnets = cluster(aws)
    target = FargateTarget(cluster=name, pod_execution_role_arn=ROLE, subnets=subnets)
    acts = activities(tmp_path, capacity=FargateProvisioner(aws("eks"), target))
    capacity = TargetCapacity(namespaces=["shop", "billing"])
    message = await ActivityEnvironment().run(acts.prepare_target, capacity)
    again = await ActivityEnvironment().run(acts.prepare_target, capacity)
    assert message == again and "active for namespaces billing, shop" in message
    profile = aws("eks").describe_fargate_profile(clusterName=name, fargateProfileName="cutover")[
        "fargateProfile"
    ]
    assert profile["status"] == "ACTIVE" and profile["fargateProfileArn"] in message
    assert sorted(s["namespace"] for s in profile["selectors"]) == ["billing", "shop"]


async def test_without_a_fargate_config_preparation_says_so(tmp_path: Path) -> None:
    message = await ActivityEnvironment().run(
        activities(tmp_path).prepare_target, TargetCapacity(namespaces=["shop"])
    )
    assert message.startswith("no Fargate profile configured")


async def test_review_of_the_stored_journal_is_written_locally_and_to_s3(aws: Any, tmp_path: Path) -> None:
    bucket = f"reviews-{uuid.uuid4().hex[:6]}"
    aws("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    acts = activities(tmp_path, S3ReportStore(aws("s3"), bucket, "cutover/"))
    workflow_id = f"migration-{uuid.uuid4()}"
    status = MigrationStatus(plan_name="shop")
    status.record(Event(time=datetime.now(UTC), actor="alice", kind=EventKind.APPROVED, message="uat ok"))
    page = next_page(status)
    await ActivityEnvironment().run(
        acts.store_journal, JournalPageRequest(workflow_id=workflow_id, page=page)
    )
    count_page(status, page)
    status.timeline = []  # as if dropped: only the stored page has it now
    status.timeline_omitted = 1
    path = await ActivityEnvironment().run(
        acts.write_report, ReportRequest(workflow_id=workflow_id, status=status)
    )
    local = Path(path).read_text()
    copied = aws("s3").get_object(Bucket=bucket, Key=f"cutover/{workflow_id}.md")["Body"].read().decode()
    assert copied == local and local.startswith("# Post-release review")
    assert "| alice | approved: uat ok |" in local


async def test_platform_config_names_fargate_and_review_bucket(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(
        "fargate: {region: eu-west-1, cluster: shop-green, pod_execution_role_arn: r,"
        " subnets: [s1], timeout: 20m}\n"
        "reviews: {region: eu-west-1, bucket: sre-reviews, prefix: cutover/}\n"
    )
    config = load_platform_config(path)
    assert config.fargate is not None and config.reviews is not None
    provisioner = config.fargate.build()
    assert provisioner.target.cluster == "shop-green" and provisioner.timeout == timedelta(minutes=20)
    assert config.reviews.build().bucket == "sre-reviews"
    path.write_text("fargate: {region: eu-west-1, cluster: shop-green}\n")
    with pytest.raises(PlatformConfigError, match="fargate.pod_execution_role_arn"):
        load_platform_config(path)
