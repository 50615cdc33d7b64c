"""The signed text of a decision: canonical, strict both ways, and checked field by field."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cutover.signatures.claim import MAX_VALIDITY, DecisionClaim, claim_problem

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CLAIM = DecisionClaim(
    migration="orders-db-2026",
    run="0193a7c2-run",
    gate="full-cutover",
    decision="approve",
    signer="alice@example.com",
    expires=NOW + timedelta(hours=1),
)
MESSAGE = (
    b"cutover-decision v1\n"
    b"migration: orders-db-2026\n"
    b"run: 0193a7c2-run\n"
    b"gate: full-cutover\n"
    b"decision: approve\n"
    b"signer: alice@example.com\n"
    b"expires: 2026-12-03T10:00:00Z\n"
)
EXPECTED = {
    "migration": CLAIM.migration,
    "run": CLAIM.run,
    "gate": CLAIM.gate,
    "decision": CLAIM.decision,
    "signer": CLAIM.signer,
}


def test_the_message_is_canonical_and_parses_back() -> None:
    assert CLAIM.to_message() == MESSAGE
    assert DecisionClaim.from_message(MESSAGE) == CLAIM


def test_expiry_is_kept_in_utc_whole_seconds() -> None:
    paris = timezone(timedelta(hours=1))
    paris_time = datetime(2026, 12, 3, 11, 0, 0, 999_999, tzinfo=paris)
    claim = DecisionClaim.model_validate({**CLAIM.model_dump(), "expires": paris_time})
    assert claim.expires == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert claim.to_message() == MESSAGE
    assert DecisionClaim.from_message(claim.to_message()) == claim


def test_a_naive_expiry_is_refused() -> None:
    with pytest.raises(ValueError, match="expires"):
        DecisionClaim.model_validate({**CLAIM.model_dump(), "expires": datetime(2026, 12, 3, 10)})


@pytest.mark.parametrize(
    "value",
    [
        "full-cutover\ndecision: reject",
        "full-cutover\r",
        "a\x00b",
        "a\tb",
        "a\u2028b",  # line separator
        "a\u202eb",  # right-to-left override
        "",
        " full-cutover",
        "x" * 1001,
    ],
)
def test_a_field_that_could_forge_or_blur_a_line_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="gate"):
        DecisionClaim.model_validate({**CLAIM.model_dump(), "gate": value})
    unchecked = DecisionClaim.model_construct(**{**CLAIM.model_dump(), "gate": value})
    with pytest.raises(ValueError, match="^gate"):
        unchecked.to_message()


def test_newline_injection_in_the_signer_is_refused() -> None:
    forged = "alice@example.com\nexpires: 2099-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="signer .* control character \\(U\\+000A\\)"):
        DecisionClaim.model_construct(**{**CLAIM.model_dump(), "signer": forged}).to_message()


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (MESSAGE[:-1], "does not end with a newline"),
        (b"\xff" + MESSAGE, "not UTF-8"),
        (MESSAGE.replace(b"v1", b"v2"), "does not start with 'cutover-decision v1'"),
        (MESSAGE.replace(b"gate: full-cutover\n", b""), "5 field lines, not 6"),
        (MESSAGE + b"note: hi\n", "7 field lines, not 6"),
        (MESSAGE.replace(b"gate: ", b"gate:"), "line 4 of the message is not 'gate: ...'"),
        (MESSAGE.replace(b"run: ", b"Run: "), "line 3 of the message is not 'run: ...'"),
        (
            MESSAGE.replace(
                b"run: 0193a7c2-run\ngate: full-cutover", b"gate: full-cutover\nrun: 0193a7c2-run"
            ),
            "line 3 of the message is not 'run: ...'",
        ),
        (MESSAGE.replace(b"approve", b"maybe"), "decision 'maybe' is neither 'approve' nor 'reject'"),
        (MESSAGE.replace(b"gate: full-cutover", b"gate: "), "gate is empty"),
        (MESSAGE.replace(b"gate: full-cutover", b"gate: a\rb"), "gate .* control character \\(U\\+000D\\)"),
        (MESSAGE.replace(b"10:00:00Z", b"10:00:00+00:00"), "expires .* is not a UTC time"),
        (MESSAGE.replace(b"10:00:00Z", b"10:00Z"), "expires .* is not a UTC time"),
        (MESSAGE.replace(b"2026-12-03T10", b"2026-02-30T10"), "expires .* is not a valid date"),
        (MESSAGE.replace(b"\n", b"\r\n"), "cutover-decision v1"),
        (MESSAGE + b"\n" * 9000, "longer than 8192 bytes"),
    ],
)
def test_a_message_not_exactly_in_the_format_is_refused(message: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        DecisionClaim.from_message(message)


def test_a_claim_for_this_decision_passes() -> None:
    assert claim_problem(CLAIM, **EXPECTED, now=NOW) is None


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("gate", "validation", "the signature is for gate 'full-cutover', not 'validation'"),
        ("migration", "payments-db", "the signature is for migration 'orders-db-2026', not 'payments-db'"),
        ("run", "later-run", "the signature is for run '0193a7c2-run', not 'later-run'"),
        ("decision", "reject", "the signature is for decision 'approve', not 'reject'"),
        (
            "signer",
            "bob@example.com",
            "the signature is for signer 'alice@example.com', not 'bob@example.com'",
        ),
    ],
)
def test_a_claim_for_another_decision_is_refused(field: str, value: str, problem: str) -> None:
    assert claim_problem(CLAIM, **{**EXPECTED, field: value}, now=NOW) == problem


def test_an_expired_claim_is_refused() -> None:
    later = CLAIM.expires
    assert claim_problem(CLAIM, **EXPECTED, now=later) == "the signature expired at 2026-12-03T10:00:00Z"
    assert claim_problem(CLAIM, **EXPECTED, now=later - timedelta(seconds=1)) is None


def test_a_claim_valid_for_too_long_is_refused() -> None:
    at_limit = CLAIM.expires - MAX_VALIDITY
    assert claim_problem(CLAIM, **EXPECTED, now=at_limit) is None
    assert claim_problem(CLAIM, **EXPECTED, now=at_limit - timedelta(seconds=1)) == (
        "the signature's expiry (2026-12-03T10:00:00Z) is more than 24h ahead"
    )


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        claim_problem(CLAIM, **EXPECTED, now=datetime(2026, 12, 3, 9))
