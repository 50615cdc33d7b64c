"""What the Web UI shows under each signal and query (Send a Signal / Queries): the exact JSON to send."""

DECISION_EXAMPLE = '{"gate": "uat", "sender": "alice", "comment": "UAT signed off"}'
CONTROL_EXAMPLE = '{"sender": "alice", "reason": "why"}'

APPROVE_HELP = (
    f"Approve the open gate (uat, traffic-N or full-cutover) as one of the plan's approvers. Input: "
    f"{DECISION_EXAMPLE}. Refusals (gate not open, not an approver, bad input) appear in the current details."
)
REJECT_HELP = f"Reject the open gate: the migration rolls back to blue. Input: {DECISION_EXAMPLE}."
PAUSE_HELP = f"Hold the migration at the next step boundary. Input: {CONTROL_EXAMPLE}."
RESUME_HELP = f"Continue a paused migration, or retry a stuck undo. Input: {CONTROL_EXAMPLE}."
ABORT_HELP = f"Stop and roll everything back to blue. Input: {CONTROL_EXAMPLE}."
STATUS_HELP = "Phase, step, weights, open gate and approvers, refusals and the timeline. No input."
DECISION_REFUSAL_HELP = (
    f'Would the migration refuse this approve (or reject, with "signal": "reject") now? The reason it '
    f"would record (unknown gate, gate not open, not an approver), or null if it takes it. Input: "
    f"{DECISION_EXAMPLE}."
)
