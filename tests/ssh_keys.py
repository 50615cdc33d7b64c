"""Real ed25519 keys made by ssh-keygen, for the signature tests (tests/signatures, the workflow's)."""

import subprocess
from pathlib import Path


def make_key(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return key


def public_key(key: Path) -> str:
    """`ssh-ed25519 AAAA...`, without the comment."""
    kind, blob = key.with_name(key.name + ".pub").read_text().split()[:2]
    return f"{kind} {blob}"


def fingerprint(key: Path) -> str:
    """SHA256:..., as `ssh-keygen -lf KEY.pub` prints it."""
    listed = subprocess.run(
        ["ssh-keygen", "-lf", str(key.with_name(key.name + ".pub"))],
        check=True,
        capture_output=True,
        text=True,
    )
    return listed.stdout.split()[1]
