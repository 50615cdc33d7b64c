"""Change freezes: times when no migration may move an environment on, whoever asks.

Two kinds: recurring windows in the worker's platform config (`freezes:`, cutover.freezes.windows)
and a freeze a human sets now (`cutover freeze`, cutover.workflows.freeze). A migration asks at each
step boundary whether its environments are frozen (cutover.activities.freeze_activities).
"""
