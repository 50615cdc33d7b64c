"""Verifying a signed decision with OpenSSH's own `ssh-keygen -Y verify`, for a worker activity.

OpenSSH defines what an allowed_signers line means (principal patterns and negations, `namespaces=`,
`valid-after=`/`valid-before=`, `cert-authority`); running its binary is the only way to mean exactly
the same. The process is awaited without a thread. Three outcomes stay apart, so the caller can map
them: a Verification (the signature is good or refused, for good), SignersFileMissing (the worker is
misconfigured) and VerifierUnavailable (ssh-keygen could not answer; worth retrying).
"""

import asyncio
import contextlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cutover.signatures.claim import SIGNATURE_NAMESPACE

ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
MAX_SIGNATURE = 4096
MAX_REASON = 200
# An identity to look up, never a pattern: no wildcard, negation, list comma, quote or whitespace,
# and no leading '-' that ssh-keygen could read as an option.
_PRINCIPAL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@+=:-]{0,99}")
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]+")
_GOOD = re.compile(r'^Good "[^"]*" signature for .* with \S+ key (SHA256:[A-Za-z0-9+/=]+)$', re.MULTILINE)
# ssh-keygen -v names the key a signature was made with before it looks for it in allowed_signers.
_SIGNED_BY = re.compile(r"Valid \(unverified\) signature from key (SHA256:[A-Za-z0-9+/=]+)")


@dataclass(frozen=True)
class Verification:
    """ssh-keygen's answer: verified, or refused with a short reason. Never a secret in it."""

    verified: bool
    reason: str
    key_fingerprint: str | None = None


class SignersFileMissing(Exception):
    """The allowed_signers file is not there: the worker's configuration, not the signature, is wrong."""


class VerifierUnavailable(Exception):
    """ssh-keygen could not be run or did not answer: nothing is known about the signature yet."""


async def verify_signature(
    message: bytes,
    signature: str,
    principal: str,
    allowed_signers: Path,
    timeout_s: float = 10,
) -> Verification:
    """Whether signature is principal's signature of message in the cutover namespace, per allowed_signers."""
    refusal = _signature_problem(signature) or _principal_problem(principal)
    if refusal is not None:
        return Verification(verified=False, reason=refusal)
    if not allowed_signers.is_file():
        raise SignersFileMissing(f"the allowed signers file {allowed_signers} does not exist")
    with tempfile.TemporaryDirectory(prefix="cutover-verify-") as private:  # mode 0700
        signature_file = Path(private) / "decision.sig"
        signature_file.write_text(signature, encoding="ascii")
        command = ["-v", "-Y", "verify", "-f", str(allowed_signers), "-I", principal]
        command += ["-n", SIGNATURE_NAMESPACE, "-s", str(signature_file)]
        returncode, stdout, stderr = await _run("ssh-keygen", command, message, timeout_s)
    if returncode == 0:
        good = _GOOD.search(stdout)
        return Verification(
            verified=True,
            reason=f"good signature by {principal}",
            key_fingerprint=good.group(1) if good else None,
        )
    # ssh-keygen names lines of allowed_signers by path: the file's name is enough, and shorter.
    return Verification(
        verified=False, reason=_refusal(stderr.replace(str(allowed_signers), allowed_signers.name), principal)
    )


def _signature_problem(signature: str) -> str | None:
    if len(signature.encode("utf-8", errors="replace")) >= MAX_SIGNATURE:
        return f"the signature is not an SSH signature: longer than {MAX_SIGNATURE} bytes"
    lines = signature.strip().split("\n")
    if lines[0].rstrip("\r") != ARMOR_BEGIN:
        return f"the signature is not an SSH signature: it does not start with {ARMOR_BEGIN}"
    if len(lines) < 3 or lines[-1].rstrip("\r") != ARMOR_END:
        return f"the signature is not an SSH signature: it does not end with {ARMOR_END}"
    if not all(_BASE64_LINE.fullmatch(line.rstrip("\r")) for line in lines[1:-1]):
        return "the signature is not an SSH signature: its body is not base64"
    return None


def _principal_problem(principal: str) -> str | None:
    if _PRINCIPAL.fullmatch(principal) is None:
        return (
            f"the signer {_clip(repr(principal), 60)} is not a principal that can be looked up "
            "(letters, digits and ._@+=:- only, not starting with '-', at most 100 characters)"
        )
    return None


async def _run(program: str, arguments: list[str], stdin: bytes, timeout_s: float) -> tuple[int, str, str]:
    try:
        process = await asyncio.create_subprocess_exec(
            program,
            *arguments,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as error:
        raise VerifierUnavailable(f"{program} could not be started: {error.strerror or error}") from None
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout_s)
    except TimeoutError:
        raise VerifierUnavailable(f"{program} did not answer in {timeout_s:g} s") from None
    finally:
        if process.returncode is None:  # timed out, or the activity was cancelled
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace")


def _refusal(stderr: str, principal: str) -> str:
    """ssh-keygen's last error line; when it printed none, the key was not one allowed for principal."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("debug")]
    if errors:
        return _clip(f"ssh-keygen refused the signature: {errors[-1]}", MAX_REASON)
    signed_by = next((match.group(1) for line in lines if (match := _SIGNED_BY.search(line))), None)
    key = f"the key {signed_by}" if signed_by else "the signing key"
    return _clip(
        f"{key} is not allowed to sign as {principal} in namespace {SIGNATURE_NAMESPACE!r} "
        "by the allowed signers file",
        MAX_REASON,
    )


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line
    return text if len(text) <= limit else text[: limit - 1] + "…"
