"""Temporal's data converter for cutover: pydantic models, payloads nobody can use turned into values,
and refusals without a stack trace.

A signal or a workflow start sent from the Web UI or the raw `temporal` CLI can carry anything: no
input, two inputs, `binary/plain` bytes, JSON that does not parse, an unknown encoding. The
workflow's handlers take their inputs untyped (`*inputs`), so the SDK decodes them without type
hints; this converter makes that decoding total. A payload that cannot be decoded becomes an
`Unreadable` value the workflow records as refused, instead of an exception the SDK would turn
into a failed workflow task (a frozen migration) or a silently dropped signal.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError


@dataclass(frozen=True)
class Unreadable:
    """A payload that could not be decoded: enough to say why, nothing of its content."""

    encoding: str
    size: int
    error: str


class LenientPayloadConverter(PydanticPayloadConverter):
    """Typed decoding as pydantic's; untyped decoding never raises."""

    def from_payloads(self, payloads: Sequence[Payload], type_hints: list[type] | None = None) -> list[Any]:
        if type_hints is not None:
            return super().from_payloads(payloads, type_hints)
        return [self._lenient(payload) for payload in payloads]

    def _lenient(self, payload: Payload) -> Any:
        try:
            return super().from_payloads([payload])[0]
        except Exception as error:  # any decoder failure: the payload is refused, not the workflow task
            encoding = payload.metadata.get("encoding", b"<none>").decode(errors="replace")[:40]
            return Unreadable(encoding=encoding, size=len(payload.data), error=type(error).__name__)


# Failures that refuse what a person sent (a plan, an input): their message says everything, and the
# Web UI shows a failure's stack trace beside it, which here would be the worker's code, not theirs.
REFUSALS = frozenset({"InvalidPlan", "BadInput", "FreezeRefused", "RevertRefused", "CallbackRefused"})


class RefusalFailureConverter(DefaultFailureConverter):
    """The SDK's failures, without a stack trace for a refusal (REFUSALS)."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        super().to_failure(exception, payload_converter, failure)
        if isinstance(exception, ApplicationError) and exception.type in REFUSALS:
            failure.stack_trace = ""


DATA_CONVERTER = DataConverter(
    payload_converter_class=LenientPayloadConverter, failure_converter_class=RefusalFailureConverter
)
