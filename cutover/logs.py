"""structlog set-up: JSON lines in the worker, bound to workflow id / run id / phase / service.

Everything else the worker logs goes the same way: the standard library's records (the SDK's Python
side, aiohttp) through structlog's formatter, and the SDK's Rust core forwarded to the standard library
(core_logging), so no line reaches stderr as the core's own coloured text.
"""

import logging
import sys
from typing import Any

import structlog
from temporalio.runtime import LogForwardingConfig, LoggingConfig, TelemetryFilter

CORE_LOGGER = "temporalio.core"


def configure_logging(json_output: bool = True, level: int = logging.INFO) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # JSON carries a traceback as a string field; the console renders its own.
    tracebacks: list[Any] = [structlog.processors.format_exc_info] if json_output else []
    structlog.configure(
        processors=[*shared, *tracebacks, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tracebacks,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def core_logging(level: str = "WARN") -> LoggingConfig:
    """The Rust core's logs, forwarded to the standard library's CORE_LOGGER (so to configure_logging)."""
    return LoggingConfig(
        filter=TelemetryFilter(core_level=level, other_level="ERROR"),
        # the core's module is in the logger's name ("temporalio.core-sdk_core::..."), not the message
        forwarding=LogForwardingConfig(
            logger=logging.getLogger(CORE_LOGGER), prepend_target_on_message=False
        ),
    )


def get_logger(**bound: Any) -> Any:
    return structlog.get_logger("cutover").bind(**bound)
