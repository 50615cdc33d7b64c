"""A real Temporal dev server for the freeze CLI's tests: `cutover freezes` lists through visibility,
which the time-skipping test server does not offer."""

from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.client import Client

from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from tests.integration.conftest import SessionDevServer


@pytest.fixture(scope="session")
def freeze_dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionDevServer]:
    holder = SessionDevServer(tmp_path_factory.mktemp("freeze-temporal"))
    yield holder
    holder.stop()


@pytest.fixture
async def dev_client(freeze_dev_server: SessionDevServer) -> AsyncIterator[Client]:
    yield await connect(TemporalSettings(address=freeze_dev_server.running().address))
