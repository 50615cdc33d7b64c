"""Verifying a signed gate decision on the worker, against the allowed_signers file its platform
config names: `ssh-keygen -Y verify` decides (cutover.signatures.ssh_verify), so principals, their
patterns and a key's validity are matched as OpenSSH matches them."""

from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from cutover.signatures.check import SignatureCheck, SignatureVerdict
from cutover.signatures.ssh_verify import SignersFileMissing, verify_signature

NO_SIGNERS = (
    "the worker cannot verify signed decisions: its platform config names no approvals.allowed_signers"
)


class ApprovalActivities:
    def __init__(self, allowed_signers: Path | None):
        self.allowed_signers = allowed_signers

    @activity.defn
    async def verify_decision_signature(self, check: SignatureCheck) -> SignatureVerdict:
        """verified, or why not; a worker without its signers file is a configuration error (not retried)."""
        if self.allowed_signers is None:
            raise ApplicationError(NO_SIGNERS, type="NoAllowedSigners", non_retryable=True)
        try:
            found = await verify_signature(
                check.claim.encode(), check.signature, check.principal, self.allowed_signers
            )
        except SignersFileMissing as missing:
            raise ApplicationError(str(missing), type="NoAllowedSigners", non_retryable=True) from None
        return SignatureVerdict(
            verified=found.verified, reason=found.reason, key_fingerprint=found.key_fingerprint
        )
