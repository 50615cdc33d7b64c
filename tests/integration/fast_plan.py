"""The example plan, fast enough for a real worker on the dev server: seconds-long bakes, no gates,
and none of what needs the shop's endpoints (checks, a UAT route, notification destinations)."""

from pathlib import Path

import yaml

from tests.integration.test_cli_errors import EXAMPLE


def fast_example_plan(folder: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["traffic"]["bake"] = "3s"
    data["parallel_operation"] = {"duration": "3s", "health_check_interval": "1s"}
    data["monitoring"] = {"window": "2s"}
    data["analysis"] |= {"interval": "1s", "min_requests": 1}
    data["gates"] = {"require": []}
    del data["checks"], data["uat"], data["notify"]
    plan = folder / "plan.yaml"
    plan.write_text(yaml.safe_dump(data))
    return plan
