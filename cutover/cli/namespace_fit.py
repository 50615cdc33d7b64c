"""Does the namespace have cutover's search attributes? Without them every workflow task of a
migration fails, in a loop, until they are added: said before `start`, and when a query meets it."""

from temporalio.client import Client

from cutover.temporal.search_attribute_registration import create_command, missing_search_attributes


async def lacking_attributes(client: Client) -> str | None:
    """One line naming the attributes the namespace lacks and the command that adds them; None if it
    has them all, or the server cannot list them (the time-skipping test server, a key without the
    permission)."""
    missing = await missing_search_attributes(client, client.namespace)
    if not missing:
        return None
    return (
        f"namespace {client.namespace} lacks cutover's search attributes {', '.join(sorted(missing))}; "
        f"add them with: {create_command(client.namespace, missing)}"
    )
