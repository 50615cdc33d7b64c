"""Signed gate decisions against a real migration: real ed25519 keys made by ssh-keygen, the worker's
allowed_signers file, the time-skipping server. Under gates.verify: signature only a decision whose
claim names this migration, its first run, the open gate, the verb, the sender and a live expiry, and
whose signature a listed key made, counts; every other is refused at once, audited in the timeline,
and the gate stays open. Under verify: name an unsigned decision counts, marked unverified.

Each test has its own time-skipping server: its migration is left mid-bake once the gate opens, and
the terminated migration's analysis group would keep the shared server from skipping time (aborting
instead trips the test server, which loses track of an activity cancelled after an Update; the dev
server does not)."""

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

import cutover.cli.signing
from cutover.activities.approval_activities import NO_SIGNERS
from cutover.cli.main import cli
from cutover.models import GateDecision, MigrationStatus, Phase
from cutover.plan.model import Plan
from cutover.signatures.claim import Decision, DecisionClaim
from cutover.signatures.ssh_sign import sign_claim
from tests.ssh_keys import fingerprint, make_key, public_key
from tests.workflows.helpers import Harness, make_plan, migration
from tests.workflows.support import decide, poll

APPROVERS = ["alice", "bob"]
VALIDITY = timedelta(minutes=15)


def signed_plan() -> Plan:
    return make_plan(
        gates={
            "require": ["uat", "traffic-25", "full-cutover"],
            "approvers": APPROVERS,
            "timeout": "4h",
            "on_timeout": "rollback",
            "verify": "signature",
        }
    )


class Keys:
    """alice's and bob's keys, listed for them in allowed_signers; a stranger's, listed for no one."""

    def __init__(self, tmp_path: Path):
        directory = tmp_path / "keys"
        directory.mkdir()
        self.alice, self.bob, self.stranger = (make_key(directory, n) for n in ("alice", "bob", "stranger"))
        self.allowed_signers = tmp_path / "allowed_signers"
        self.allowed_signers.write_text(
            f'alice namespaces="cutover" {public_key(self.alice)}\n'
            f'bob namespaces="cutover" {public_key(self.bob)}\n'
        )


# ---- decisions -------------------------------------------------------------------------------------
async def first_run(h: Harness) -> str:
    description = await h.handle.describe()
    run = description.raw_description.workflow_execution_info.first_run_id
    assert run, "the migration has a first run id"
    return run


async def claim_for(
    h: Harness,
    *,
    gate: str = "uat",
    signer: str = "alice",
    decision: Decision = "approve",
    migration_id: str | None = None,
    run: str | None = None,
    expires: datetime | None = None,
) -> DecisionClaim:
    """A claim for this migration's first run, valid VALIDITY from the server's (skipped) clock."""
    return DecisionClaim(
        migration=migration_id or h.handle.id,
        run=run or await first_run(h),
        gate=gate,
        decision=decision,
        signer=signer,
        expires=expires or (await h.env.get_current_time()) + VALIDITY,
    )


def sent(claim: DecisionClaim, key: Path, gate: str = "uat", sender: str = "alice") -> GateDecision:
    """The decision carrying claim (as signed) and key's signature of it."""
    return GateDecision(
        gate=gate, sender=sender, claim=claim.to_message().decode(), signature=sign_claim(claim, str(key))
    )


async def refused(h: Harness, decision: GateDecision, verb: str = "approve") -> str:
    """The refused Update's reason; its type must be bad-signature."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await h.handle.execute_update(verb, decision, result_type=str)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "bad-signature", cause.message
    return cause.message


def refused_lines(status: MigrationStatus) -> list[str]:
    return [e.message for e in status.timeline if e.kind == "refused"]


def approved_lines(status: MigrationStatus) -> list[tuple[str, str]]:
    return [(e.actor, e.message) for e in status.timeline if e.kind == "approved"]


def assert_still_open(status: MigrationStatus, gate: str = "uat") -> None:
    assert status.phase != Phase.DONE, status.step
    assert status.open_gate is not None and status.open_gate.name == gate, status.step
    assert status.open_gate.approved_by == []


async def gate_passed(h: Harness, gate: str = "uat") -> MigrationStatus:
    """The status once the gate has closed and the migration moved on."""
    passed = await poll(h, lambda s: s.open_gate is None or s.open_gate.name != gate, seconds=60)
    assert passed.phase != Phase.DONE, passed.step
    return passed


# ---- the tests -------------------------------------------------------------------------------------
async def test_only_a_decision_signed_for_this_gate_of_this_run_opens_it(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    keys = Keys(tmp_path)
    plan = signed_plan()
    async with migration(own_time_skipping_env, tmp_path, plan, allowed_signers=keys.allowed_signers) as h:
        status = await h.at_gate("uat")
        assert status.open_gate is not None and status.open_gate.verify == "signature"
        mig, run = h.handle.id, await first_run(h)
        prefix = "approve of uat by alice refused: "
        expected: list[str] = []

        async def refusal(decision: GateDecision, verb: str = "approve") -> str:
            reason = await refused(h, decision, verb)
            expected.append(reason)
            return reason

        # unsigned, as an Update
        unsigned = GateDecision(gate="uat", sender="alice")
        assert await refusal(unsigned) == prefix + "unsigned, and gates.verify asks for a signature"
        # forged: a signature for traffic-25, its claim edited to say uat
        other_gate = await claim_for(h, gate="traffic-25")
        genuine = sent(other_gate, keys.alice)
        assert genuine.claim is not None and "gate: traffic-25\n" in genuine.claim
        forged = genuine.model_copy(update={"claim": genuine.claim.replace("gate: traffic-25", "gate: uat")})
        assert await refusal(forged) == (
            prefix + "ssh-keygen refused the signature: Signature verification failed: incorrect signature"
        )
        # a key allowed_signers does not list
        by_stranger = await refusal(sent(await claim_for(h), keys.stranger))
        assert by_stranger.startswith(
            prefix + f"the key {fingerprint(keys.stranger)} is not allowed to sign as alice"
        ), by_stranger
        # alice's key for bob's name: bob's claim, sent as bob
        as_bob = sent(await claim_for(h, signer="bob"), keys.alice, sender="bob")
        impersonated = await refusal(as_bob)
        assert impersonated.startswith("approve of uat by bob refused: ")
        assert f"the key {fingerprint(keys.alice)} is not allowed to sign as bob" in impersonated
        # alice's signature for alice, sent as bob
        assert await refusal(sent(await claim_for(h), keys.alice, sender="bob")) == (
            "approve of uat by bob refused: the signature is for signer 'alice', not 'bob'"
        )
        # a good signature for another gate
        assert await refusal(genuine) == prefix + "the signature is for gate 'traffic-25', not 'uat'"
        # a good signature of a rejection, sent as an approval
        rejection = await claim_for(h, decision="reject")
        assert await refusal(sent(rejection, keys.alice)) == (
            prefix + "the signature is for decision 'reject', not 'approve'"
        )
        # replayed: made for another migration, and for another run of this workflow id
        elsewhere = await claim_for(h, migration_id="migration-elsewhere")
        assert await refusal(sent(elsewhere, keys.alice)) == (
            prefix + f"the signature is for migration 'migration-elsewhere', not {mig!r}"
        )
        earlier_run = "0f6b2a8e-5d4c-4a43-9b1e-2c0d7a9e1f00"
        assert earlier_run != run
        replayed = await claim_for(h, run=earlier_run)
        assert await refusal(sent(replayed, keys.alice)) == (
            prefix + f"the signature is for run {earlier_run!r}, not {run!r}"
        )
        # expired: valid for a minute, sent after two
        soon = await claim_for(h, expires=(await h.env.get_current_time()) + timedelta(minutes=1))
        stale = sent(soon, keys.alice)
        await h.env.sleep(timedelta(minutes=2))
        expired = await refusal(stale)
        assert expired.startswith(prefix + "the signature expired at "), expired
        # a standing approval: expiring more than a day ahead
        far = await claim_for(h, expires=(await h.env.get_current_time()) + timedelta(hours=25))
        ahead = await refusal(sent(far, keys.alice))
        assert ahead.startswith(prefix + "the signature's expiry (") and ahead.endswith(
            "is more than 24h ahead"
        )
        # an unsigned rejection is refused too: it would roll back on a name alone
        assert await refusal(GateDecision(gate="uat", sender="bob"), "reject") == (
            "reject of uat by bob refused: unsigned, and gates.verify asks for a signature"
        )

        # each refusal is audited, in order, and the gate is still open for anyone
        status = await h.status()
        assert refused_lines(status) == expected
        assert all(e.kind != "approved" for e in status.timeline)
        assert_still_open(status)

        # the approve signal is refused where the plan asks for signatures, and recorded
        await decide(h, "approve", "uat", "alice")
        signal_refusal = (
            "approve of uat by signal refused: gates.verify asks for a signed decision, sent as the "
            "approve Update (`cutover approve --sign-with KEY`)"
        )
        status = await poll(h, lambda s: len(refused_lines(s)) > len(expected))
        assert refused_lines(status) == [*expected, signal_refusal]
        assert_still_open(status)

        # alice's own signature, made for this gate of this run, opens it
        signed = sent(await claim_for(h), keys.alice)
        answer = await h.handle.execute_update("approve", signed, result_type=str)
        assert answer == "approval of gate uat recorded"
        status = await gate_passed(h)
    assert approved_lines(status) == [("alice", f"gate uat (signed by {fingerprint(keys.alice)}): ")]
    assert fingerprint(keys.alice).startswith("SHA256:")


async def test_a_worker_without_allowed_signers_refuses_signed_decisions_and_names_still_count(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    keys = Keys(tmp_path)
    async with migration(own_time_skipping_env, tmp_path) as h:  # gates.verify: name; no allowed_signers
        status = await h.at_gate("uat")
        assert status.open_gate is not None and status.open_gate.verify == "name"
        reason = await refused(h, sent(await claim_for(h), keys.alice))
        assert reason == f"approve of uat by alice refused: {NO_SIGNERS}"
        assert "approvals.allowed_signers" in reason
        status = await h.status()
        assert refused_lines(status) == [reason]
        assert_still_open(status)
        assert (await h.handle.describe()).status == WorkflowExecutionStatus.RUNNING
        # the migration keeps running: an unsigned approval counts by name, marked unverified
        by_name = GateDecision(gate="uat", sender="bob")
        answer = await h.handle.execute_update("approve", by_name, result_type=str)
        assert answer == "approval of gate uat recorded"
        status = await gate_passed(h)
    assert approved_lines(status) == [("bob", "gate uat (unverified): ")]


async def test_cutover_approve_signs_with_the_key_it_is_given(
    own_time_skipping_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = Keys(tmp_path)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    for suffix in ("", ".pub"):  # the default key, ~/.ssh/id_ed25519, is the stranger's
        (home / ".ssh" / f"id_ed25519{suffix}").write_bytes(
            keys.stranger.with_name(keys.stranger.name + suffix).read_bytes()
        )
    (home / ".ssh" / "id_ed25519").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    plan = signed_plan()
    async with migration(own_time_skipping_env, tmp_path, plan, allowed_signers=keys.allowed_signers) as h:
        await h.at_gate("uat")
        # The CLI signs for its own clock plus 15 minutes; the time-skipping server's clock is ahead
        # of it by the time it skipped, so the CLI's validity covers that much more.
        skipped = (await h.env.get_current_time()) - datetime.now().astimezone()
        monkeypatch.setattr(cutover.cli.signing, "SIGNATURE_VALIDITY", skipped + VALIDITY)
        address = own_time_skipping_env.client.service_client.config.target_host
        mig = h.handle.id

        async def approve(*options: str) -> tuple[int, list[str], list[str]]:
            """The exit code, what the CLI wrote on stdout and on stderr (the worker runs in this
            process, so its log lines share stdout)."""
            args = ["approve", mig, "--gate", "uat", "--as", "alice", *options, "--address", address]
            result = await asyncio.to_thread(CliRunner().invoke, cli, args)
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
            return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()

        # a key file that is not there: the caller's mistake, nothing sent
        missing = tmp_path / "keys" / "nobody"
        code, _, errors = await approve("--sign-with", str(missing))
        assert (code, errors) == (2, [f"error: --sign-with: no key file at {missing}"])
        assert refused_lines(await h.status()) == []

        # a key allowed_signers does not list: the migration refuses it, in one line
        stranger = f"the key {fingerprint(keys.stranger)} is not allowed to sign as alice"
        code, _, errors = await approve("--sign-with", str(keys.stranger))
        assert code == 3 and len(errors) == 1, errors
        assert errors[0].startswith(f"error: {mig} refused it: approve of uat by alice refused: {stranger}")
        # the plan asks for signatures: without --sign-with the default key signs (here the stranger's)
        code, _, errors = await approve()
        assert code == 3 and len(errors) == 1, errors
        assert stranger in errors[0]
        status = await h.status()
        assert len(refused_lines(status)) == 2 and all(stranger in line for line in refused_lines(status))
        assert_still_open(status)

        code, said, errors = await approve("--sign-with", str(keys.alice))
        assert (code, errors) == (0, [])
        assert f"{mig}: approval of gate uat recorded (as alice)" in said
        status = await gate_passed(h)
    assert approved_lines(status) == [("alice", f"gate uat (signed by {fingerprint(keys.alice)}): ")]
