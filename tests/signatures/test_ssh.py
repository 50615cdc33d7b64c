"""Signing with ssh-keygen (a key file, ssh-agent, the default key) and verifying with ssh-keygen against
a real allowed_signers file: principals, patterns, negations, namespaces and key validity as OpenSSH
reads them."""

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cutover.signatures.claim import DecisionClaim, claim_problem
from cutover.signatures.ssh_sign import NO_KEY, SigningError, sign_claim
from cutover.signatures.ssh_verify import (
    SignersFileMissing,
    Verification,
    VerifierUnavailable,
    verify_signature,
)
from tests.signatures.conftest import Keys
from tests.ssh_keys import fingerprint, make_key

NOW = datetime.now(UTC).replace(microsecond=0)
CLAIM = DecisionClaim(
    migration="orders-db-2026",
    run="0193a7c2-run",
    gate="full-cutover",
    decision="approve",
    signer="alice@example.com",
    expires=NOW + timedelta(hours=1),
)
WAIT = 30.0  # seconds a test waits for the agent to listen


async def verify(keys: Keys, signature: str, principal: str, message: bytes | None = None) -> Verification:
    message = CLAIM.to_message() if message is None else message
    return await verify_signature(message, signature, principal, keys.allowed_signers)


def sign_with_namespace(key: Path, message: bytes, namespace: str, directory: Path) -> str:
    data = directory / "message"
    data.write_bytes(message)
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", namespace, "-f", str(key), str(data)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return (directory / "message.sig").read_text()


@pytest.fixture
def no_agent_no_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No SSH_AUTH_SOCK and an empty home: the returned home's .ssh is where the default key goes."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


@pytest.fixture
def agent(tmp_path: Path, no_agent_no_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An ssh-agent of this test's own, as SSH_AUTH_SOCK; yields its socket."""
    socket = tmp_path / "agent.sock"
    process = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(socket)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT
        while not socket.exists():
            assert process.poll() is None, "ssh-agent exited"
            assert time.monotonic() < deadline, "ssh-agent did not listen"
            time.sleep(0.02)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        yield socket
    finally:
        process.terminate()
        process.wait(timeout=WAIT)


def fake_ssh_keygen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    """Put an ssh-keygen running script first on PATH; returns the file it may record into."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "ssh-keygen"
    record = tmp_path / "record"
    program.write_text(f"#!/bin/sh\n{script.format(record=record)}\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


# Verification


async def test_a_good_signature_verifies_with_its_key_fingerprint(keys: Keys) -> None:
    signature = sign_claim(CLAIM, str(keys.alice))
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----\n")
    result = await verify(keys, signature, "alice@example.com")
    assert result == Verification(
        verified=True, reason="good signature by alice@example.com", key_fingerprint=fingerprint(keys.alice)
    )
    signed = DecisionClaim.from_message(CLAIM.to_message())
    expected = dict(migration="orders-db-2026", run="0193a7c2-run", gate="full-cutover", decision="approve")
    assert claim_problem(signed, **expected, signer="alice@example.com", now=NOW) is None


async def test_a_principal_pattern_allows_and_its_negation_refuses(keys: Keys) -> None:
    signature = sign_claim(CLAIM, str(keys.alice))
    carol = await verify(keys, signature, "carol@ops.example.com")
    assert carol.verified and carol.key_fingerprint == fingerprint(keys.alice)
    mallory = await verify(keys, signature, "mallory@ops.example.com")
    assert not mallory.verified
    assert mallory.reason == (
        f"the key {fingerprint(keys.alice)} is not allowed to sign as mallory@ops.example.com "
        "in namespace 'cutover' by the allowed signers file"
    )
    assert mallory.key_fingerprint is None


async def test_a_message_altered_after_signing_is_refused(keys: Keys) -> None:
    signature = sign_claim(CLAIM, str(keys.alice))
    forged = CLAIM.model_copy(update={"gate": "validation"}).to_message()
    result = await verify(keys, signature, "alice@example.com", forged)
    assert not result.verified
    assert (
        result.reason
        == "ssh-keygen refused the signature: Signature verification failed: incorrect signature"
    )


async def test_a_key_not_in_allowed_signers_is_refused(keys: Keys) -> None:
    result = await verify(keys, sign_claim(CLAIM, str(keys.stranger)), "alice@example.com")
    assert not result.verified
    assert result.reason.startswith(f"the key {fingerprint(keys.stranger)} is not allowed to sign as alice")


async def test_the_right_key_for_another_principal_is_refused(keys: Keys) -> None:
    result = await verify(keys, sign_claim(CLAIM, str(keys.alice)), "bob@example.com")
    assert not result.verified
    assert "not allowed to sign as bob@example.com" in result.reason


async def test_a_signature_in_another_namespace_is_refused(keys: Keys, tmp_path: Path) -> None:
    signature = sign_with_namespace(keys.alice, CLAIM.to_message(), "git", tmp_path)
    result = await verify(keys, signature, "alice@example.com")
    assert not result.verified
    assert (
        result.reason
        == "ssh-keygen refused the signature: Couldn't verify signature: namespace does not match"
    )


async def test_a_key_past_its_valid_before_is_refused(keys: Keys) -> None:
    result = await verify(keys, sign_claim(CLAIM, str(keys.old)), "old@example.com")
    assert not result.verified
    assert result.reason.startswith("ssh-keygen refused the signature: allowed_signers:3: key has expired: ")
    assert result.reason.endswith("> valid-before 2020-01-01T00:00:00")
    assert len(result.reason) <= 200 and "\n" not in result.reason


async def test_a_missing_allowed_signers_file_is_a_configuration_error(keys: Keys, tmp_path: Path) -> None:
    signature = sign_claim(CLAIM, str(keys.alice))
    with pytest.raises(SignersFileMissing, match="nowhere/allowed_signers does not exist"):
        await verify_signature(
            CLAIM.to_message(), signature, "alice@example.com", tmp_path / "nowhere/allowed_signers"
        )


@pytest.mark.parametrize(
    ("signature", "problem"),
    [
        ("", "does not start with -----BEGIN SSH SIGNATURE-----"),
        ("-----BEGIN PGP SIGNATURE-----\nAAAA\n-----END PGP SIGNATURE-----\n", "does not start with"),
        ("-----BEGIN SSH SIGNATURE-----\nAAAA\n", "does not end with -----END SSH SIGNATURE-----"),
        ("-----BEGIN SSH SIGNATURE-----\nAA AA\n-----END SSH SIGNATURE-----\n", "its body is not base64"),
        (
            "-----BEGIN SSH SIGNATURE-----\n" + "A" * 70 * 60 + "\n-----END SSH SIGNATURE-----\n",
            "longer than 4096",
        ),
    ],
)
async def test_malformed_armor_is_refused_without_running_ssh_keygen(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signature: str, problem: str
) -> None:
    record = fake_ssh_keygen(tmp_path, monkeypatch, "touch {record}")
    result = await verify(keys, signature, "alice@example.com")
    assert not result.verified and result.reason.startswith("the signature is not an SSH signature: ")
    assert problem in result.reason
    assert not record.exists()


@pytest.mark.parametrize(
    "principal",
    ["", "-oProxyCommand=x", "alice bob", "alice\n", "*@example.com", "!alice", "a,b", '"a"', "a" * 101],
)
async def test_a_principal_that_is_not_a_plain_identity_is_refused_without_running_ssh_keygen(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, principal: str
) -> None:
    signature = sign_claim(CLAIM, str(keys.alice))
    record = fake_ssh_keygen(tmp_path, monkeypatch, "touch {record}")
    result = await verify(keys, signature, principal)
    assert not result.verified and "is not a principal that can be looked up" in result.reason
    assert not record.exists()


async def test_a_verifier_that_does_not_answer_is_killed_and_unavailable(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signature = sign_claim(CLAIM, str(keys.alice))
    record = fake_ssh_keygen(tmp_path, monkeypatch, "echo $$ > {record}; exec sleep 60")
    started = time.monotonic()
    with pytest.raises(VerifierUnavailable, match="^ssh-keygen did not answer in 0.5 s$"):
        await verify_signature(CLAIM.to_message(), signature, "alice@example.com", keys.allowed_signers, 0.5)
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(int(record.read_text()), 0)


async def test_no_ssh_keygen_is_unavailable(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signature = sign_claim(CLAIM, str(keys.alice))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(VerifierUnavailable, match="ssh-keygen could not be started"):
        await verify(keys, signature, "alice@example.com")


# Signing


async def test_signing_with_the_agent_needs_no_key_file(
    keys: Keys, agent: Path, no_agent_no_home: Path
) -> None:
    subprocess.run(
        ["ssh-add", "-q", str(keys.alice)], check=True, capture_output=True, stdin=subprocess.DEVNULL
    )
    assert not (no_agent_no_home / ".ssh" / "id_ed25519").exists()
    signature = sign_claim(CLAIM, None)
    result = await verify(keys, signature, "alice@example.com")
    assert result.verified and result.key_fingerprint == fingerprint(keys.alice)


async def test_an_agent_without_keys_falls_back_to_the_default_key(
    keys: Keys, agent: Path, no_agent_no_home: Path
) -> None:
    with pytest.raises(SigningError, match=f"^{NO_KEY}$"):
        sign_claim(CLAIM, None)
    default = no_agent_no_home / ".ssh" / "id_ed25519"
    for suffix in ("", ".pub"):
        default.with_name(default.name + suffix).write_bytes(
            keys.alice.with_name(keys.alice.name + suffix).read_bytes()
        )
    default.chmod(0o600)
    result = await verify(keys, sign_claim(CLAIM, None), "alice@example.com")
    assert result.verified


async def test_without_agent_the_default_key_signs(keys: Keys, no_agent_no_home: Path) -> None:
    default = make_key(no_agent_no_home / ".ssh", "id_ed25519")
    result = await verify(keys, sign_claim(CLAIM, None), "alice@example.com")
    assert not result.verified and f"the key {fingerprint(default)} is not allowed" in result.reason


def test_no_key_at_all_is_a_signing_error(no_agent_no_home: Path) -> None:
    with pytest.raises(SigningError) as raised:
        sign_claim(CLAIM, None)
    assert str(raised.value) == (
        "no key to sign with: pass --sign-with KEY, load a key into ssh-agent, or create ~/.ssh/id_ed25519"
    )


def test_an_agent_socket_with_no_agent_falls_back(
    tmp_path: Path, no_agent_no_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "no-agent.sock"))
    with pytest.raises(SigningError, match="^no key to sign with"):
        sign_claim(CLAIM, None)


def test_a_missing_key_file_is_a_signing_error(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="^no key file at .*/absent$"):
        sign_claim(CLAIM, str(tmp_path / "absent"))


def test_ssh_keygen_failing_is_a_signing_error_with_its_last_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad_key"
    bad.write_text("not a key\n")
    bad.chmod(0o600)
    with pytest.raises(SigningError, match="^ssh-keygen could not sign: .*bad_key") as raised:
        sign_claim(CLAIM, str(bad))
    assert "\n" not in str(raised.value)
