"""OpenTelemetry traces of migrations, when an OTLP endpoint is configured by OpenTelemetry's own
environment variables (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with
OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES ... as every OpenTelemetry SDK
reads them). Spans go over OTLP/HTTP (protobuf): no gRPC stack beside Temporal's own.

temporalio.contrib.opentelemetry's TracingInterceptor on the client makes spans of what the CLI
starts, signals, updates and queries, and carries their context in Temporal's headers; a worker uses
its client's interceptors, so its workflows and activities continue those traces. The SDK and the
exporter are imported only when tracing is on: the CLI's start stays light.
"""

import os
from functools import cache
from typing import TYPE_CHECKING

from temporalio.client import Interceptor

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
DEFAULT_SERVICE = "cutover"  # when OTEL_SERVICE_NAME is not set
_providers: list["TracerProvider"] = []  # the one tracing_interceptors set up, once it did


def tracing_on() -> bool:
    """An OTLP endpoint is configured and OpenTelemetry is not switched off (OTEL_SDK_DISABLED)."""
    disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return not disabled and any(os.environ.get(name, "").strip() for name in ENDPOINTS)


@cache
def tracing_interceptors() -> list[Interceptor]:
    """[TracingInterceptor] exporting to the configured endpoint, or [] when tracing is off.

    Once per process: OpenTelemetry takes one global tracer provider.
    """
    if not tracing_on():
        return []
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from temporalio.contrib.opentelemetry import TracingInterceptor

    service = os.environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _providers.append(provider)
    return [TracingInterceptor(provider.get_tracer("cutover"))]


def flush_traces() -> None:
    """Send the spans still batched: a process that leaves without interpreter finalisation (the CLI's
    os._exit) skips OpenTelemetry's own flush at exit."""
    for provider in _providers:
        provider.force_flush()
