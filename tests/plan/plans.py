"""The example plan as data, and a way to change one field of it."""

import copy
from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).parents[2] / "examples" / "shop-migration.yaml"
GOOD: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
DELETE = object()


def changed(path: str, value: Any, base: dict[str, Any] = GOOD) -> dict[str, Any]:
    """A copy of base (GOOD) with the value at a dotted path replaced (or removed when value is DELETE)."""
    plan = copy.deepcopy(base)
    *parents, last = path.split(".")
    node: Any = plan
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return plan


def services(count: int) -> list[dict[str, str]]:
    """count distinct, declared Deployments."""
    return [
        {"name": f"svc-{i}", "workload": f"deployment/svc-{i}", "exposure": "non-exposed"}
        for i in range(count)
    ]
