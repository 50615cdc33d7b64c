"""Fargate mounts only EFS: claims backed by EBS (or anything else) are refused, read through the API."""

import pytest

from cutover.platform.errors import PermanentError
from cutover.platform.kubernetes.cluster import KubernetesCluster
from cutover.platform.kubernetes.storage import ClaimUse, claim_uses
from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import (
    NS,
    claim,
    deployment,
    mounting_claim,
    ref,
    stateful_set,
    storage_class,
    volume,
)

Doubles = dict[str, ApiServerDouble]
EBS_REASON = "is backed by ebs.csi.aws.com; Fargate mounts only EFS (efs.csi.aws.com)"


@pytest.fixture
def blue(doubles: Doubles) -> ApiServerDouble:
    double = doubles["eks"]
    double.put_object(storage_class("gp3", "ebs.csi.aws.com", default=True))
    double.put_object(storage_class("efs-sc", "efs.csi.aws.com"))
    return double


def unsupported(cluster: KubernetesCluster, kind: str, name: str) -> str:
    found = cluster.find("eks", NS, kind, name)
    assert found is not None
    return found.unsupported


def test_claims_are_read_from_pod_volumes_ephemeral_volumes_and_claim_templates() -> None:
    obj = stateful_set("db", "gp3")
    obj["spec"]["template"]["spec"]["volumes"] = [
        {"name": "shared", "persistentVolumeClaim": {"claimName": "files"}},
        {"name": "cache", "ephemeral": {"volumeClaimTemplate": {"spec": {"storageClassName": "fast"}}}},
        {"name": "tmp", "emptyDir": {}},
    ]
    assert claim_uses(obj) == [
        ClaimUse("shared", claim="files"),
        ClaimUse("cache", storage_class="fast"),
        ClaimUse("data", storage_class="gp3"),
    ]


def test_claim_templates_of_an_ebs_class_are_refused_and_efs_ones_pass(
    blue: ApiServerDouble, cluster: KubernetesCluster
) -> None:
    blue.put_object(stateful_set("db", "gp3"))
    blue.put_object(stateful_set("files", "efs-sc"))
    assert unsupported(cluster, "statefulset", "db") == f"volume data {EBS_REASON}"
    assert unsupported(cluster, "statefulset", "files") == ""


def test_a_template_without_a_class_gets_the_default_class(
    blue: ApiServerDouble, cluster: KubernetesCluster
) -> None:
    blue.put_object(stateful_set("db", None))
    assert unsupported(cluster, "statefulset", "db") == f"volume data {EBS_REASON}"


def test_a_bound_claim_is_judged_by_its_volume(blue: ApiServerDouble, cluster: KubernetesCluster) -> None:
    blue.put_object(volume("pv-ebs", {"awsElasticBlockStore": {"volumeID": "vol-1"}}))
    blue.put_object(volume("pv-efs", {"csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-1"}}))
    # the class says EFS, but the volume it is bound to is what the pod mounts
    blue.put_object(claim("old-files", "efs-sc", bound_to="pv-ebs"))
    blue.put_object(claim("files", "", bound_to="pv-efs"))
    blue.put_object(mounting_claim("legacy", "old-files"))
    blue.put_object(mounting_claim("web", "files"))
    assert unsupported(cluster, "deployment", "legacy") == (
        "volume shared (claim old-files) is backed by kubernetes.io/aws-ebs; "
        "Fargate mounts only EFS (efs.csi.aws.com)"
    )
    assert unsupported(cluster, "deployment", "web") == ""


def test_an_unbound_claim_is_judged_by_its_class(blue: ApiServerDouble, cluster: KubernetesCluster) -> None:
    blue.put_object(claim("pending", "gp3"))
    blue.put_object(mounting_claim("web", "pending"))
    assert unsupported(cluster, "deployment", "web") == f"volume shared (claim pending) {EBS_REASON}"


def test_missing_claims_and_classes_are_named(blue: ApiServerDouble, cluster: KubernetesCluster) -> None:
    blue.put_object(mounting_claim("web", "gone"))
    blue.put_object(stateful_set("db", "premium"))
    assert unsupported(cluster, "deployment", "web") == "volume shared (claim gone) does not exist in eks"
    assert unsupported(cluster, "statefulset", "db") == (
        "volume data uses storage class premium, which does not exist in eks"
    )


def test_no_class_and_no_default_is_named(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(stateful_set("db", None))
    assert unsupported(cluster, "statefulset", "db") == (
        "volume data names no storage class and eks has no default one"
    )


def test_copy_refuses_ebs_storage_and_discover_reports_it(
    blue: ApiServerDouble, doubles: Doubles, cluster: KubernetesCluster
) -> None:
    blue.put_object(stateful_set("db", "gp3"))
    with pytest.raises(PermanentError) as refused:
        cluster.apply_copy(ref("statefulset", "db"))
    assert refused.value.kind == "k8s.Unsupported"
    assert refused.value.message == f"copy statefulset/{NS}/db to fargate refused: volume data {EBS_REASON}"
    assert doubles["fargate"].get_object("statefulsets", NS, "db") is None
    found = cluster.discover("eks", NS, "app=db")
    assert [w.unsupported for w in found] == [f"volume data {EBS_REASON}"]


def test_workloads_without_claims_read_no_storage(blue: ApiServerDouble, cluster: KubernetesCluster) -> None:
    blue.put_object(deployment("web"))
    assert unsupported(cluster, "deployment", "web") == ""
    assert not [r for r in blue.requests if "storage" in r.path or "persistent" in r.path]
