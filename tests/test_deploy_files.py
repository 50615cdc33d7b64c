"""The files a user applies match the code: manifests parse, IAM covers every AWS call made."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
CLIENT_PREFIX = {
    "elbv2": "elasticloadbalancing",
    "route53": "route53",
    "cloudwatch": "cloudwatch",
    "eks": "eks",
    "s3": "s3",
}
MODULE_CLIENT = {
    "aws_alb.py": "elbv2",
    "aws_route53.py": "route53",
    "aws_cloudwatch.py": "cloudwatch",
    "aws_eks.py": "eks",
    "aws_s3.py": "s3",
}


def aws_calls() -> set[str]:
    """IAM actions for every `self.<client>.<operation>(` or `<client>.<operation>(` in the adapters."""
    actions = set()
    for module, client in MODULE_CLIENT.items():
        source = (ROOT / "cutover" / "platform" / module).read_text()
        for operation in re.findall(rf"\b{client}\.([a-z_]+)\(", source):
            name = "".join(part.capitalize() for part in operation.split("_"))
            actions.add(f"{CLIENT_PREFIX[client]}:{name}")
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
    } <= calls
    assert calls <= allowed, sorted(calls - allowed)


def test_worker_manifest_runs_the_worker_with_temporal_from_config() -> None:
    docs = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "worker.yaml").read_text())}
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "worker.py"]
    config_name = container["envFrom"][0]["configMapRef"]["name"]
    assert docs["ConfigMap"]["metadata"]["name"] == config_name
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "CUTOVER_TASK_QUEUE"} <= set(docs["ConfigMap"]["data"])


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
