"""Real ed25519 keys made by ssh-keygen, and an allowed_signers file naming them as OpenSSH reads it."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Keys:
    alice: Path  # alice@example.com, cutover namespace only; also *@ops.example.com but mallory
    old: Path  # old@example.com, valid before 2020 only
    stranger: Path  # in no allowed_signers line
    allowed_signers: Path


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
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(key.with_name(key.name + ".pub"))],
        check=True,
        capture_output=True,
        text=True,
    )
    return listed.stdout.split()[1]


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    directory = tmp_path / "keys"
    directory.mkdir()
    alice, old, stranger = (make_key(directory, name) for name in ("alice", "old", "stranger"))
    allowed_signers = tmp_path / "allowed_signers"
    allowed_signers.write_text(
        f'alice@example.com namespaces="cutover" {public_key(alice)}\n'
        f"*@ops.example.com,!mallory@ops.example.com {public_key(alice)}\n"
        f'old@example.com valid-before="20200101" {public_key(old)}\n'
    )
    return Keys(alice=alice, old=old, stranger=stranger, allowed_signers=allowed_signers)
