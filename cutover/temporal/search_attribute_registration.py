"""Register cutover's search attributes on a namespace (idempotent), or say which it lacks."""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cutover.workflows.search_attributes import REGISTRATION

_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}
# Servers that cannot list a namespace's attributes (the time-skipping test server; an API key
# without the operator's permission): nothing can be said about them, so nothing is claimed.
CANNOT_LIST = (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.PERMISSION_DENIED)


async def missing_search_attributes(client: Client, namespace: str) -> dict[str, str] | None:
    """Cutover's attributes the namespace lacks, name -> type; None when the server cannot list them."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as error:
        if error.status not in CANNOT_LIST:
            raise
        return None
    return {name: kind for name, kind in REGISTRATION.items() if name not in existing.custom_attributes}


def create_command(namespace: str, missing: dict[str, str]) -> str:
    """The `temporal` CLI command that adds them: a --type after each --name (the CLI pairs them; one
    --type after several names adds only the first)."""
    pairs = " ".join(f"--name {name} --type {kind}" for name, kind in sorted(missing.items()))
    return f"temporal operator search-attribute create --namespace {namespace} {pairs}"


async def register_search_attributes(client: Client, namespace: str = "default") -> list[str]:
    """Add whichever of cutover's attributes the namespace lacks; return the names added."""
    missing = await missing_search_attributes(client, namespace)
    if missing is None:  # the time-skipping server cannot list: add them all
        missing = dict(REGISTRATION)
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace, search_attributes={name: _TYPES[kind] for name, kind in missing.items()}
            )
        )
    return sorted(missing)
