"""The files a user applies match the code: IAM covers every AWS call made, the examples load. The
Kubernetes manifests (deploy/base, deploy/overlays, deploy/blue) are checked as rendered: tests/deploy."""

import json
import re
from pathlib import Path

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


def test_examples_load() -> None:
    config = load_platform_config(ROOT / "examples" / "platform-aws.yaml")
    assert config.fargate is not None and config.reviews is not None
    assert load_plan(ROOT / "examples" / "shop-migration.yaml").name == "shop-to-fargate"
