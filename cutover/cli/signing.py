"""Signing a gate decision for `cutover approve|reject`: the claim names this migration's first run,
the gate, the decision, the signer and an expiry, and `ssh-keygen -Y sign` signs it (with --sign-with
KEY, else ssh-agent's first key, else ~/.ssh/id_ed25519). A gate whose plan asks for signatures
(gates.verify: signature) is signed without being asked."""

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from cutover.cli.context import migration_handle, query_status
from cutover.cli.errors import CliError
from cutover.models import GateDecision
from cutover.signatures.claim import DecisionClaim
from cutover.signatures.ssh_sign import SigningError, sign_claim
from cutover.workflows.decisions import Verb

SIGNATURE_VALIDITY = timedelta(minutes=15)  # long enough for a slow terminal, short against replay


async def gate_asks_signature(client: Client, workflow_id: str) -> bool:
    open_gate = (await query_status(client, workflow_id, with_looks=False)).open_gate
    return open_gate is not None and open_gate.verify == "signature"


async def signed(
    client: Client, workflow_id: str, decision: GateDecision, verb: Verb, key: str | None
) -> GateDecision:
    """The decision with its claim and signature; a key that cannot sign is one line naming --sign-with."""
    description = await migration_handle(client, workflow_id).describe()
    first_run = description.raw_description.workflow_execution_info.first_run_id or description.run_id
    claim = DecisionClaim(
        migration=workflow_id,
        run=first_run or "",
        gate=decision.gate,
        decision=verb,
        signer=decision.sender,
        expires=datetime.now(UTC) + SIGNATURE_VALIDITY,
    )
    try:
        signature = await asyncio.to_thread(sign_claim, claim, key)
    except SigningError as error:
        raise CliError(f"--sign-with: {error}") from None
    return decision.model_copy(update={"claim": claim.to_message().decode(), "signature": signature})
