"""One way to connect, with the pydantic converter and a clear error when nobody answers."""

from temporalio.client import Client
from temporalio.runtime import Runtime

from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.settings import TemporalSettings
from cutover.temporal.tracing import tracing_interceptors


class TemporalUnreachable(Exception):
    """Nobody answered, or the answer was not Temporal's (TLS refused, wrong certificate): one line."""


async def connect(settings: TemporalSettings, runtime: Runtime | None = None) -> Client:
    try:
        return await Client.connect(
            settings.address,
            namespace=settings.namespace,
            api_key=settings.api_key,
            tls=settings.tls or bool(settings.api_key),
            rpc_metadata=settings.rpc_metadata,
            data_converter=DATA_CONVERTER,
            runtime=runtime,
            interceptors=tracing_interceptors(),  # none unless an OTLP endpoint is configured
        )
    except RuntimeError as error:
        raise TemporalUnreachable(
            f"cannot reach Temporal at {settings.address} (namespace {settings.namespace}): "
            f"{str(error).splitlines()[0]}"
        ) from None
