"""What the plan's checks name and the worker keeps: credentials (headers for a check's requests).

The plan says `targets.credentials: shop-api`; the worker's platform config says what that is, each
header's value given as is or as `env:NAME` (read from the worker's environment when a check runs,
so a Kubernetes Secret can supply it). Nothing here reaches a plan, a history, a log or a review.
"""

import os

from pydantic import BaseModel, ConfigDict, Field

from cutover.platform.errors import PermanentError

FROM_ENV = "env:"


class Credential(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headers: dict[str, str] = Field(default_factory=dict, description="a value, or env:NAME")


class ChecksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credentials: dict[str, Credential] = Field(default_factory=dict)

    def headers(self, name: str | None) -> dict[str, str]:
        """The named credential's headers, each env: value read now; a name or variable the worker
        lacks is permanent (the config must change), and says which without any value."""
        if name is None:
            return {}
        if name not in self.credentials:
            raise PermanentError(f"checks.credentials: the worker's platform config has no {name!r}")
        headers = {}
        for header, value in self.credentials[name].headers.items():
            if value.startswith(FROM_ENV):
                variable = value.removeprefix(FROM_ENV)
                if variable not in os.environ:
                    where = f"checks.credentials.{name}.headers.{header}"
                    raise PermanentError(f"{where}: {variable} is not set in the worker's environment")
                value = os.environ[variable]
            headers[header] = value
        return headers
