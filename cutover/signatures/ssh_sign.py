"""Signing a decision claim with the operator's SSH key, for the CLI.

OpenSSH's own `ssh-keygen -Y sign` does the signing, so any key it can use works the same way: a key
file (its passphrase asked on the terminal), or a key held by ssh-agent (a hardware key, a key that
never leaves the laptop). The key itself is never read, printed or copied here.
"""

import os
import subprocess
import tempfile
from pathlib import Path

from cutover.signatures.claim import SIGNATURE_NAMESPACE, DecisionClaim

ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
NO_KEY = "no key to sign with: pass --sign-with KEY, load a key into ssh-agent, or create ~/.ssh/id_ed25519"
# Long enough for a passphrase typed on the terminal or a touch on a hardware key.
SIGN_TIMEOUT_S = 120.0
AGENT_TIMEOUT_S = 10.0
_CERTIFICATE = "-cert-v01@openssh.com "


class SigningError(Exception):
    """The claim could not be signed; the message says why in one line."""


def sign_claim(claim: DecisionClaim, key: str | None) -> str:
    """The armored SSH signature ("-----BEGIN SSH SIGNATURE-----...") of claim's message.

    key: a private key file, or a public key file whose key ssh-agent holds. None: the first key
    ssh-agent lists, else ~/.ssh/id_ed25519.
    """
    message = claim.to_message()
    with tempfile.TemporaryDirectory(prefix="cutover-sign-") as private:  # mode 0700
        directory = Path(private)
        key_file = _key_file(key, directory)
        data = directory / "decision.txt"
        data.write_bytes(message)
        _ssh_keygen(["-Y", "sign", "-n", SIGNATURE_NAMESPACE, "-f", str(key_file), str(data)])
        try:
            signature = data.with_name(data.name + ".sig").read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise SigningError(f"ssh-keygen wrote no readable signature: {error}") from None
    if not signature.startswith(ARMOR_BEGIN):
        raise SigningError("ssh-keygen wrote something that is not an SSH signature")
    return signature


def _key_file(key: str | None, directory: Path) -> Path:
    if key is not None:
        path = Path(key).expanduser()
        if not path.is_file():
            raise SigningError(f"no key file at {path}")
        return path
    agent_key = _agent_key()
    if agent_key is not None:
        # ssh-keygen given a public key signs with the agent's copy of its private half.
        public = directory / "agent-key.pub"
        public.write_text(agent_key + "\n", encoding="utf-8")
        return public
    default = Path.home() / ".ssh" / "id_ed25519"
    if default.is_file():
        return default
    raise SigningError(NO_KEY)


def _agent_key() -> str | None:
    """The public key line of the agent's first key (a plain key before a certificate), or None."""
    if not os.environ.get("SSH_AUTH_SOCK"):
        return None
    try:
        listed = subprocess.run(
            ["ssh-add", "-L"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=AGENT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # no ssh-add, or an agent that does not answer: as if there were none
    if listed.returncode != 0:
        return None  # 1: the agent has no keys; 2: no agent at SSH_AUTH_SOCK
    lines = (line.strip() for line in listed.stdout.splitlines())
    keys = [line for line in lines if line.startswith(("ssh-", "ecdsa-", "sk-"))]
    plain = [line for line in keys if _CERTIFICATE not in line]
    return (plain or keys)[0] if keys else None


def _ssh_keygen(arguments: list[str]) -> None:
    try:
        done = subprocess.run(
            ["ssh-keygen", *arguments],
            stdin=subprocess.DEVNULL,  # a passphrase is read from the terminal, never from here
            capture_output=True,
            text=True,
            errors="replace",
            timeout=SIGN_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise SigningError("ssh-keygen not found: install the OpenSSH client") from None
    except subprocess.TimeoutExpired:
        raise SigningError(f"ssh-keygen did not finish signing in {SIGN_TIMEOUT_S:g} s") from None
    if done.returncode != 0:
        raise SigningError(f"ssh-keygen could not sign: {_last_line(done.stderr)}")


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    text = lines[-1] if lines else "no message"
    return text if len(text) <= 200 else text[:199] + "…"
