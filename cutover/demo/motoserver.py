"""A local moto server: real AWS API calls over HTTP, answered by a thread that owns no account.

moto's own ThreadedMotoServer serves it inside the demo's process. The demo runs the production
ALB and CloudWatch adapters against it, so every process it hands the endpoint to must carry
dummy credentials only: real ones are stripped from the environment it passes on.
"""

import logging
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "eu-west-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def moto_environment(base: dict[str, str]) -> dict[str, str]:
    """`base` without any AWS_* setting (no real account can be reached), plus dummy credentials."""
    return {k: v for k, v in base.items() if not k.startswith("AWS_")} | DUMMY_CREDENTIALS


@dataclass
class MotoServer:
    server: ThreadedMotoServer
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
        self.server.stop()


def start_moto_server() -> MotoServer:
    """Serve moto on a free loopback port; returns once it accepts requests."""
    # werkzeug would print a line per request into the demo's output
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return MotoServer(server, f"http://{host}:{port}")
