"""What is sent to a manual freeze and what it answers: shared by the FreezeWorkflow, the CLI and the
activity that asks whether an environment is frozen.

The models live outside the workflow module so the workflow sandbox passes them through (built once
per worker, not once per freeze), and so the CLI and the activity use the very classes the workflow
reads. Examples are the exact JSON the Web UI's Start Workflow / Send a Signal / Update take.
"""

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from cutover.freezes.windows import ActiveFreeze, EnvName, Reason
from cutover.models import FreeText, Sender

FREEZE_WORKFLOW_TYPE = "FreezeWorkflow"
FREEZE_ID_PREFIX = "cutover-freeze-"
# The freeze as it stands (an ActiveFreeze as JSON), kept current by the workflow: one describe
# answers "frozen, why, until when" with no worker, and `cutover freezes` reads it from visibility.
FREEZE_MEMO = "freeze"
ORDER_EXAMPLE = (
    '{"env": "prod-eu", "reason": "Black Friday", "until": "2026-11-30T08:00:00Z", "by": "alice"} '
    "(until: null, or left out, holds until someone unfreezes)"
)
UNFREEZE_EXAMPLE = '{"by": "alice", "reason": "incident closed"}'


def freeze_workflow_id(env: str) -> str:
    """The one FreezeWorkflow of env (`*`: every environment): Temporal runs one workflow per id."""
    return f"{FREEZE_ID_PREFIX}{env}"


def env_of(workflow_id: str) -> str:
    """The environment a FreezeWorkflow's id names."""
    return workflow_id.removeprefix(FREEZE_ID_PREFIX)


def freeze_from_memo(memo: object, workflow_id: str) -> ActiveFreeze:
    """The freeze a running FreezeWorkflow's memo records; running is frozen, so a memo that cannot be
    read (a start from the Web UI whose first workflow task has not run yet) still says frozen."""
    try:
        return ActiveFreeze.model_validate(memo)
    except ValidationError:
        reason = "frozen by hand (its reason is not recorded yet: has a worker run its freeze?)"
        return ActiveFreeze(env=env_of(workflow_id), reason=reason, until=None, source="manual", by=None)


class FreezeOrder(BaseModel):
    """Freeze env until `until` (timezone-aware; None: until lifted), for reason, set by `by`."""

    model_config = ConfigDict(extra="forbid")

    env: EnvName
    reason: Reason
    until: AwareDatetime | None = None
    by: Sender

    @field_validator("until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def active(self) -> ActiveFreeze:
        return ActiveFreeze(env=self.env, reason=self.reason, until=self.until, source="manual", by=self.by)


class Unfreeze(BaseModel):
    """Lift a freeze: who, and why (recorded in the workflow's result)."""

    model_config = ConfigDict(extra="forbid")

    by: Sender
    reason: FreeText = ""


class FreezeEnded(BaseModel):
    """A FreezeWorkflow's result: the freeze as it last stood, and how it ended."""

    freeze: ActiveFreeze
    ended: Literal["lifted", "expired"]
    lifted_by: str | None = None
    lift_reason: str = ""


class FreezeStateRequest(BaseModel):
    """The environments a migration is about to touch (its source and target), and the migration's
    time, at which the calendar is read (the workflow's clock, which a test server may move)."""

    envs: list[EnvName] = Field(min_length=1)
    at: AwareDatetime | None = None
