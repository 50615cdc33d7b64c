"""What the plan's checks name and the worker keeps: credentials (headers for a check's requests),
the Prometheus that `query` checks ask, the databases (a DSN per environment) they read, and the
webhooks `webhook` checks call (with the secret that signs each delivery).

The plan says `targets.credentials: shop-api` or `sql.database: orders`; the worker's platform config
says what that is, each secret value given as is or as `env:NAME` (read from the worker's environment
when a check runs, so a Kubernetes Secret can supply it). Nothing here reaches a plan, a history, a
log or a review: a problem names the config field and the variable, never a value.
"""

import os
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cutover.platform.errors import PermanentError

FROM_ENV = "env:"
Environment = Literal["blue", "green"]


def _resolved(value: str, where: str) -> str:
    """value as is, or an env:NAME read now; a variable the worker lacks is permanent (named, no value)."""
    if not value.startswith(FROM_ENV):
        return value
    variable = value.removeprefix(FROM_ENV)
    if variable not in os.environ:
        raise PermanentError(f"{where}: {variable} is not set in the worker's environment")
    return os.environ[variable]


def _plain_url(value: str) -> str:
    """http(s) with a host and no user or password (those go in headers, as env: values)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry a user or password: give an Authorization header (env:NAME)")
    return value.rstrip("/")


class Credential(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headers: dict[str, str] = Field(default_factory=dict, description="a value, or env:NAME")


class PrometheusEndpoint(BaseModel):
    """The Prometheus (or compatible: Thanos, Mimir, VictoriaMetrics) that PromQL checks query."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, AfterValidator(_plain_url)]
    headers: dict[str, str] = Field(default_factory=dict, description="a value, or env:NAME")


class Database(BaseModel):
    """A database's connection in each environment: a libpq DSN (`postgresql://...` or
    `host=... dbname=...`), or env:NAME. An environment left out cannot be read by a check."""

    model_config = ConfigDict(extra="forbid")

    blue: str | None = Field(default=None, description="a DSN, or env:NAME")
    green: str | None = Field(default=None, description="a DSN, or env:NAME")


class Webhook(BaseModel):
    """An endpoint `webhook` checks POST the migration's context to, signed with `secret` (HMAC-SHA256)
    so the receiver can tell the delivery is ours, and its callback can be told to be the receiver's."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, AfterValidator(_plain_url)]
    secret: str = Field(min_length=1, repr=False, description="a value, or env:NAME: signs each delivery")
    headers: dict[str, str] = Field(default_factory=dict, repr=False, description="a value, or env:NAME")


class ChecksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credentials: dict[str, Credential] = Field(default_factory=dict)
    prometheus: PrometheusEndpoint | None = None
    databases: dict[str, Database] = Field(default_factory=dict)
    webhooks: dict[str, Webhook] = Field(default_factory=dict)

    def headers(self, name: str | None) -> dict[str, str]:
        """The named credential's headers, each env: value read now; a name or variable the worker
        lacks is permanent (the config must change), and says which without any value."""
        if name is None:
            return {}
        if name not in self.credentials:
            raise PermanentError(f"checks.credentials: the worker's platform config has no {name!r}")
        return {
            header: _resolved(value, f"checks.credentials.{name}.headers.{header}")
            for header, value in self.credentials[name].headers.items()
        }

    def prometheus_endpoint(self) -> tuple[str, dict[str, str]]:
        """The URL and headers (env: values read now) PromQL checks query; none configured is permanent."""
        if self.prometheus is None:
            raise PermanentError("checks.prometheus: the worker's platform config has no Prometheus endpoint")
        headers = {
            header: _resolved(value, f"checks.prometheus.headers.{header}")
            for header, value in self.prometheus.headers.items()
        }
        return self.prometheus.url, headers

    def dsn(self, name: str, side: Environment) -> str:
        """The named database's DSN in one environment, an env: value read now; a database, an
        environment or a variable the worker lacks is permanent, and named without any value."""
        if name not in self.databases:
            raise PermanentError(f"checks.databases: the worker's platform config has no {name!r}")
        value = getattr(self.databases[name], side)
        where = f"checks.databases.{name}.{side}"
        if value is None:
            raise PermanentError(f"{where}: the worker's platform config has no connection for {side}")
        return _resolved(value, where)

    def webhook(self, name: str) -> tuple[str, str, dict[str, str]]:
        """The named webhook's URL, signing secret and headers, env: values read now; a webhook or a
        variable the worker lacks, or an empty secret, is permanent and named without any value."""
        if name not in self.webhooks:
            raise PermanentError(f"checks.webhooks: the worker's platform config has no {name!r}")
        webhook = self.webhooks[name]
        where = f"checks.webhooks.{name}"
        secret = _resolved(webhook.secret, f"{where}.secret")
        if not secret:
            raise PermanentError(f"{where}.secret: is empty; a delivery signed with no secret proves nothing")
        headers = {
            header: _resolved(value, f"{where}.headers.{header}") for header, value in webhook.headers.items()
        }
        return webhook.url, secret, headers
