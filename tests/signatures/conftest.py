"""Real ed25519 keys made by ssh-keygen, and an allowed_signers file naming them as OpenSSH reads it."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ssh_keys import make_key, public_key


@dataclass(frozen=True)
class Keys:
    alice: Path  # alice@example.com, cutover namespace only; also *@ops.example.com but mallory
    old: Path  # old@example.com, valid before 2020 only
    stranger: Path  # in no allowed_signers line
    allowed_signers: Path


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
