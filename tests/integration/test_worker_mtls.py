"""An mTLS namespace reached through a temporal.toml profile, by the CLI, the worker and the temporal CLI.

The dev server has no TLS options, so tests.temporal.mtls_proxy fronts it: TLS with the test's own
CA, a client certificate required.
"""

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from cutover.demo.devserver import temporal_binary
from cutover.temporal.client import connect
from cutover.temporal.settings import TemporalSettings
from tests.dev_server_process import DevServer
from tests.integration.test_worker_lifecycle import worker_env
from tests.temporal.certificates import make_certificates
from tests.temporal.mtls_proxy import mtls_proxy
from tests.temporal.worker_process import WorkerProcess


@dataclass(frozen=True)
class Mtls:
    env: dict[str, str]  # TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE=mtls, no TEMPORAL_ADDRESS
    data_dir: Path
    address: str  # the proxy's

    def cutover(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cutover.cli.main", *args],
            env=self.env | extra_env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.data_dir,
        )


@pytest.fixture
def mtls(dev_server: DevServer, tmp_path: Path) -> Iterator[Mtls]:
    certificates = make_certificates(tmp_path / "certs")
    with mtls_proxy(certificates, dev_server.address) as address:
        config = tmp_path / "temporal.toml"
        config.write_text(
            f"""
[profile.mtls]
address = "{address}"
namespace = "default"
[profile.mtls.tls]
server_name = "localhost"
server_ca_cert_path = "{certificates.ca}"
client_cert_path = "{certificates.client_cert}"
client_key_path = "{certificates.client_key}"

[profile.no-client-cert]
address = "{address}"
[profile.no-client-cert.tls]
server_name = "localhost"
server_ca_cert_path = "{certificates.ca}"
"""
        )
        env = worker_env(tmp_path, "unused") | {
            "TEMPORAL_CONFIG_FILE": str(config),
            "TEMPORAL_PROFILE": "mtls",
        }
        del env["TEMPORAL_ADDRESS"]
        yield Mtls(env, tmp_path, address)


def test_the_cli_reaches_the_mtls_namespace_through_the_profile(mtls: Mtls) -> None:
    missing = mtls.cutover("status", "no-such-migration")
    assert (missing.returncode, missing.stderr) == (2, "error: migration 'no-such-migration' not found\n")
    flags_only = {k: v for k, v in mtls.env.items() if k not in ("TEMPORAL_CONFIG_FILE", "TEMPORAL_PROFILE")}
    by_flags = subprocess.run(
        [sys.executable, "-m", "cutover.cli.main", "status", "no-such-migration"]
        + ["--config-file", mtls.env["TEMPORAL_CONFIG_FILE"], "--profile", "mtls"],
        env=flags_only,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=mtls.data_dir,
    )
    assert (by_flags.returncode, by_flags.stderr) == (2, "error: migration 'no-such-migration' not found\n")
    # The temporal CLI reads the same profile, so both talk to the same server.
    health = subprocess.run(
        [temporal_binary(), "operator", "cluster", "health"],
        env=mtls.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "SERVING" in health.stdout, health.stderr


def test_without_the_client_certificate_the_cli_says_so_in_one_line(mtls: Mtls) -> None:
    for refused in (
        mtls.cutover("status", "no-such-migration", "--profile", "no-client-cert"),
        mtls.cutover("status", "no-such-migration", TEMPORAL_PROFILE="no-client-cert"),
    ):
        assert refused.returncode == 1, refused.stderr
        (line,) = refused.stderr.splitlines()
        assert line.startswith(f"error: cannot reach Temporal at {mtls.address} (namespace default): "), line


def test_bad_connection_settings_are_one_line_naming_the_setting(mtls: Mtls) -> None:
    unknown = mtls.cutover("status", "m", "--profile", "staging")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: Temporal connection settings (profile 'staging' in "), (
        unknown.stderr
    )
    assert unknown.stderr.rstrip().endswith("Profile 'staging' not found"), unknown.stderr
    gone = mtls.data_dir / "gone.pem"
    missing = mtls.cutover("status", "m", TEMPORAL_TLS_CLIENT_KEY_PATH=str(gone))
    assert (missing.returncode, missing.stderr) == (
        2,
        f"error: TEMPORAL_TLS_CLIENT_KEY_PATH: {gone} not found\n",
    )


def test_the_worker_polls_through_the_same_profile(mtls: Mtls, dev_server: DevServer) -> None:
    worker = WorkerProcess(mtls.env, mtls.data_dir / "worker")
    try:
        worker.wait_ready()
        pollers = asyncio.run(pollers_seen(dev_server.address, mtls.env["CUTOVER_TASK_QUEUE"]))
        assert pollers, "the dev server saw no poller on the worker's task queue"
    finally:
        code = worker.stop()
    worker.assert_clean_exit(code)
    started = next(line for line in worker.logs() if line["event"] == "worker started")
    assert started["address"] == mtls.address


def test_the_worker_without_the_client_certificate_retries_saying_why(mtls: Mtls) -> None:
    worker = WorkerProcess(mtls.env | {"TEMPORAL_PROFILE": "no-client-cert"}, mtls.data_dir / "worker")
    try:
        worker.wait_for(
            lambda: any(line["event"] == "temporal unreachable, retrying" for line in worker.logs()),
            "retrying",
        )
        status, _ = worker.health("/readyz") or (0, "")
        assert status == 503
    finally:
        code = worker.stop()
    worker.assert_clean_exit(code)
    error = next(line["error"] for line in worker.logs() if line["event"] == "temporal unreachable, retrying")
    assert error.startswith(f"cannot reach Temporal at {mtls.address} (namespace default): "), error


async def pollers_seen(address: str, task_queue: str) -> list[str]:
    """Identities polling task_queue's workflow tasks, as the dev server itself (no proxy) reports them."""
    client = await connect(TemporalSettings(address=address))
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return [poller.identity for poller in described.pollers]
