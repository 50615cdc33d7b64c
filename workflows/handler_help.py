"""What the Web UI shows under each signal and query (Send a Signal / Queries): the exact JSON to send."""

DECISION_EXAMPLE = '{"gate": "uat", "sender": "alice", "comment": "UAT signed off"}'
CONTROL_EXAMPLE = '{"sender": "alice", "reason": "why"}'
REVERT_EXAMPLE = '{"sender": "alice", "reason": "checkout p99 doubled since the cutover"}'

APPROVE_HELP = (
    f"Approve the open gate (uat, traffic-N, full-cutover or decommission) as one of the plan's approvers. "
    f"Input: {DECISION_EXAMPLE}. Refusals (gate not open, not an approver, bad input) appear in the current "
    f"details."
)
REJECT_HELP = (
    f"Reject the open gate: the migration rolls back to blue (at decommission: blue stays as hot standby "
    f"and the migration succeeds). Input: {DECISION_EXAMPLE}."
)
PAUSE_HELP = f"Hold the migration at the next step boundary. Input: {CONTROL_EXAMPLE}."
RESUME_HELP = f"Continue a paused migration, or retry a stuck undo. Input: {CONTROL_EXAMPLE}."
ABORT_HELP = f"Stop and roll everything back to blue. Input: {CONTROL_EXAMPLE}."
UPDATE_ANSWERS = "answered at once: what it did, or why not (a refusal leaves no trace in the history)"
APPROVE_UPDATE_HELP = f"As the approve signal, {UPDATE_ANSWERS}. Input: {DECISION_EXAMPLE}."
REJECT_UPDATE_HELP = f"As the reject signal, {UPDATE_ANSWERS}. Input: {DECISION_EXAMPLE}."
PAUSE_UPDATE_HELP = f"As the pause signal, {UPDATE_ANSWERS}. Input: {CONTROL_EXAMPLE}."
RESUME_UPDATE_HELP = f"As the resume signal, {UPDATE_ANSWERS}. Input: {CONTROL_EXAMPLE}."
ABORT_UPDATE_HELP = (
    f"As the abort signal, answered once the rollback has started (the signal lands even with no worker "
    f"up). Input: {CONTROL_EXAMPLE}."
)
REVERT_HELP = (
    f"After full cutover, until the migration ends (monitoring, decommission): send everything back to "
    f"blue as an abort does, scaling blue back up first if decommission scaled it down. A reason is "
    f"required; refused, with why, before cutover (use abort), after a rollback began, or once the "
    f"migration gives its workloads back. Input: {REVERT_EXAMPLE}."
)
STATUS_HELP = "Phase, step, weights, open gate and approvers, refusals and the timeline. No input."
DECISION_REFUSAL_HELP = (
    f'Would the migration refuse this approve (or reject, with "signal": "reject") now? The reason it '
    f"would record (unknown gate, gate not open, not an approver), or null if it takes it. Input: "
    f"{DECISION_EXAMPLE}. Kept for 0.6's CLI until 0.9: the approve and reject Updates answer for themselves."
)
CALLBACK_EXAMPLE = (
    '{"check": "e2e-suite", "token": "<the delivery\'s callback_token>", "verdict": "pass", '
    '"summary": "412 tests passed", "details_url": "https://ci.example/runs/81"}'
)
CALLBACK_HELP = (
    "A webhook check's verdict from the system it called (a CI run), while the migration waits for it: "
    "the token its delivery carried, pass or fail, and a summary. Refused, with why, when no such "
    f"check awaits a callback or the token is not its own. Input: {CALLBACK_EXAMPLE}."
)
SIGNALS = ("approve", "reject", "pause", "resume", "abort", "freeze_lifted")
FREEZE_LIFTED_HELP = (
    "Sent by `cutover unfreeze`: a migration held by a change freeze looks at the freeze again now "
    "(its payload is not read; a freeze still in force keeps holding it)."
)
UPDATES = ("approve", "reject", "pause", "resume", "abort", "revert", "check_callback")
UNKNOWN_SIGNAL_HELP = (
    f"Any other signal: refused and recorded in the timeline, never silent ({', '.join(SIGNALS)} act)."
)
UNKNOWN_UPDATE_HELP = (
    f"Any other update: refused with why, before it reaches the history ({', '.join(UPDATES)} act)."
)
