"""One way to connect, with the pydantic converter and a clear error when nobody answers."""

from temporalio.client import Client
from temporalio.runtime import Runtime

from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.settings import TemporalSettings


class TemporalUnreachable(Exception):
    pass


async def connect(settings: TemporalSettings, runtime: Runtime | None = None) -> Client:
    try:
        return await Client.connect(
            settings.address,
            namespace=settings.namespace,
            api_key=settings.api_key,
            tls=settings.tls or bool(settings.api_key),
            data_converter=DATA_CONVERTER,
            runtime=runtime,
        )
    except RuntimeError as error:
        raise TemporalUnreachable(
            f"cannot reach Temporal at {settings.address} (namespace {settings.namespace}): "
            f"{str(error).splitlines()[0]}"
        ) from None
