"""A signal or update the migration has no handler for is never silent: an unknown signal is one
refusal line in the timeline, an unknown update is refused with why before it reaches the history;
the migration goes on as before."""

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cutover.models import Outcome
from tests.workflows.helpers import migration


async def test_an_unknown_signal_is_refused_in_the_timeline_and_an_unknown_update_answered(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with migration(time_skipping_env, tmp_path) as h:
        await h.at_gate("uat")
        await h.handle.signal("aprove", {"gate": "uat", "sender": "alice"})
        refused = await h.until(lambda s: any("aprove refused" in e.message for e in s.refusals))
        with pytest.raises(WorkflowUpdateFailedError) as update:
            await h.handle.execute_update("approve_now", {"gate": "uat"})
        updates = [
            EventType.Name(e.event_type)
            for e in (await h.handle.fetch_history()).events
            if "UPDATE" in EventType.Name(e.event_type)
        ]
        assert refused.open_gate is not None and refused.open_gate.name == "uat", "still waiting at the gate"
        await h.approve("uat")
        result = await h.run_approving_all()
    [line] = [e.message for e in result.timeline if "aprove" in e.message]
    assert line == "aprove refused: no such signal; approve, reject, pause, resume, abort, freeze_lifted act"
    cause = update.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == (
        "update approve_now refused: no such update; approve, reject, pause, resume, abort, revert, "
        "check_callback act"
    )
    assert updates == [], "a refused update leaves no trace in the history"
    assert result.outcome == Outcome.SUCCEEDED, result.outcome_reason
