"""The start-up checks the tests rely on for their dev server process, and free loopback ports."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cutover.demo.local_servers import ServerStartError, free_port, port_open
from tests.dev_server_process import wait_until_ready


def test_port_open_tells_a_listener_from_a_closed_port() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert port_open(listener.getsockname()[1])
    assert not port_open(free_port())


def test_a_server_that_exits_is_reported_with_the_end_of_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", "print('bind: address already in use'); raise SystemExit(3)"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    with pytest.raises(ServerStartError) as raised:
        wait_until_ready(process, lambda: False, "toy server", log, timeout=30)
    assert "toy server exited with 3" in str(raised.value)
    assert "bind: address already in use" in str(raised.value)


def test_a_server_never_ready_is_killed_after_the_timeout(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("still starting\n")
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(ServerStartError) as raised:
        wait_until_ready(process, lambda: False, "slow server", log, timeout=0.3)
    assert "slow server was not ready within 0.3s" in str(raised.value)
    assert "still starting" in str(raised.value)
    assert process.poll() is not None
