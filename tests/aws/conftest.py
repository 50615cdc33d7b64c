"""A real moto server over HTTP for boto3 (never patched), and clients pointed at it."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cutover.demo.motoserver import MotoServer, start_moto_server


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = start_moto_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_endpoint(moto_server: MotoServer) -> str:
    return moto_server.endpoint


@pytest.fixture
def aws(moto_server: MotoServer) -> Callable[[str], Any]:
    """A factory of boto3 clients on the moto server (dummy credentials, fixed region)."""
    return moto_server.client
