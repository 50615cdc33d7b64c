"""A local moto server: real AWS API calls over HTTP, answered in one process that owns no account.

The demo runs the production ALB and CloudWatch adapters against it, so everything it talks to
must carry dummy credentials only: real ones are stripped from the environment it hands on.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from cutover.demo.local_servers import free_port, stop_process, wait_until_listening

REGION = "eu-west-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def moto_environment(base: dict[str, str]) -> dict[str, str]:
    """`base` without any AWS_* setting (no real account can be reached), plus dummy credentials."""
    return {k: v for k, v in base.items() if not k.startswith("AWS_")} | DUMMY_CREDENTIALS


@dataclass
class MotoServer:
    process: subprocess.Popen[bytes]
    endpoint: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def stop(self) -> None:
        stop_process(self.process, grace=10)


def start_moto_server(data_dir: Path, timeout: float = 30.0) -> MotoServer:
    """Run `moto.server` on a free loopback port, logging to data_dir; wait until it listens."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "moto-server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=moto_environment(dict(os.environ)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_until_listening(process, port, "moto server", log_path, timeout)
    return MotoServer(process, f"http://127.0.0.1:{port}")
