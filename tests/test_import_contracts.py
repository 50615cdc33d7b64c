"""Every layer contract in pyproject.toml is reported when an import breaks it.

Each case copies the package (links followed, as the wheel does), adds one forbidden import to
one module and runs `lint-imports` over the copy: that contract, and only that one, must break.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CONTRACTS = [
    c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
]
# contract name prefix -> (module file in the copy, the import that breaks it)
BREAKS = {
    "Workflows reach the platform": ("workflows/details.py", "import cutover.platform.local"),
    "The workflow sandbox loads no adapter library": ("workflows/options.py", "import botocore"),
    "The platform knows nothing of Temporal": ("platform/local.py", "import temporalio"),
    "The CLI imports no activities": ("cli/errors.py", "import cutover.activities.running"),
    "The analysis decides on numbers alone": ("analysis/betting.py", "import pathlib"),
}


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=os.environ | {"PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "cutover", copy / "cutover", symlinks=False, ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_every_contract_has_a_break() -> None:
    assert len(CONTRACTS) == len(BREAKS)
    for name in CONTRACTS:
        assert any(name.startswith(prefix) for prefix in BREAKS), f"no break written for {name!r}"


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


@pytest.mark.parametrize("contract", list(BREAKS))
def test_a_forbidden_import_breaks_its_contract(tree: Path, contract: str) -> None:
    module, line = BREAKS[contract]
    path = tree / "cutover" / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # deliberately against the layers\n")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS) - 1} kept, 1 broken." in result.stdout, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in " ".join(broken.split()), broken
