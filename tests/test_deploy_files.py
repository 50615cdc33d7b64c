"""The files a user applies match the code: manifests parse, IAM covers every AWS call made."""

import json
import re
from pathlib import Path

import yaml

from cutover.plan.model import load_plan
from cutover.platform.wiring import load_platform_config

ROOT = Path(__file__).parents[1]
CLIENT_PREFIX = {
    "elbv2": "elasticloadbalancing",
    "route53": "route53",
    "cloudwatch": "cloudwatch",
    "eks": "eks",
    "s3": "s3",
}
MODULE_CLIENT = {
    "alb.py": "elbv2",
    "route53.py": "route53",
    "cloudwatch.py": "cloudwatch",
    "eks.py": "eks",
    "s3.py": "s3",
}


# Where the IAM action is not named as the API call.
IAM_NAME = {"s3:ListObjectsV2": "s3:ListBucket"}


def aws_calls() -> set[str]:
    """IAM actions for every `self.<client>.<operation>(` or `<client>.<operation>(` in the adapters,
    and every `<client>.get_paginator("<operation>")`."""
    actions = set()
    for module, client in MODULE_CLIENT.items():
        source = (ROOT / "cutover" / "platform" / "aws" / module).read_text()
        calls = re.findall(rf"\b{client}\.([a-z_0-9]+)\(", source)
        paginated = re.findall(rf"\b{client}\.get_paginator\(\"([a-z_0-9]+)\"\)", source)
        for operation in [c for c in calls if c != "get_paginator"] + paginated:
            name = f"{CLIENT_PREFIX[client]}:" + "".join(part.capitalize() for part in operation.split("_"))
            actions.add(IAM_NAME.get(name, name))
    return actions


def test_iam_policy_allows_every_call_the_adapters_make() -> None:
    policy = json.loads((ROOT / "deploy" / "iam-worker-policy.json").read_text())
    allowed = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    calls = aws_calls()
    assert {
        "elasticloadbalancing:ModifyListener",
        "route53:ChangeResourceRecordSets",
        "cloudwatch:GetMetricData",
        "eks:CreateFargateProfile",
        "s3:PutObject",
        "s3:ListBucket",
    } <= calls
    assert calls <= allowed, sorted(calls - allowed)


def test_worker_manifest_runs_the_worker_with_temporal_and_platform_from_config(tmp_path: Path) -> None:
    docs = list(yaml.safe_load_all((ROOT / "deploy" / "worker.yaml").read_text()))
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    deployment = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    container = deployment["containers"][0]
    assert container["command"] == ["python", "worker.py"]
    env = maps[container["envFrom"][0]["configMapRef"]["name"]]
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "CUTOVER_TASK_QUEUE", "CUTOVER_PLATFORM_CONFIG"} <= set(
        env
    )
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["volumes"]}
    platform_file = Path(env["CUTOVER_PLATFORM_CONFIG"])
    assert mounts["platform"] == str(platform_file.parent)
    platform = maps[volumes["platform"]["configMap"]["name"]][platform_file.name]
    (tmp_path / "platform.yaml").write_text(platform)
    config = load_platform_config(tmp_path / "platform.yaml")
    assert config.cluster.kind == "kubernetes" and config.cluster.contexts["eks-fargate"] == "in-cluster"
    assert Path(config.cluster.kubeconfig or "").parent == Path(mounts["kubeconfig"])
    accounts = [d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount"]
    assert deployment["serviceAccountName"] in accounts


def test_examples_load() -> None:
    config = load_platform_config(ROOT / "examples" / "platform-aws.yaml")
    assert config.fargate is not None and config.reviews is not None
    assert load_plan(ROOT / "examples" / "shop-migration.yaml").name == "shop-to-fargate"


def test_rbac_lets_green_create_and_delete_copies() -> None:
    roles = {
        d["metadata"]["name"]: d
        for d in yaml.safe_load_all((ROOT / "deploy" / "rbac.yaml").read_text())
        if d["kind"] == "ClusterRole"
    }
    target = {
        (g, r): set(rule["verbs"])
        for rule in roles["cutover-target"]["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    assert {"create", "patch", "delete"} <= target[("apps", "deployments")]
    source = {
        (g, r): set(rule["verbs"])
        for rule in roles["cutover-source"]["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    assert "delete" not in source[("apps", "deployments")]
    assert "patch" in source[("batch", "cronjobs")]
