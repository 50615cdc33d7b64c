"""Where notifications go: the `notifications:` section of the worker's platform config.

A plan names destinations (`notify: [ops-slack]`); the worker says what each name is, because the
addresses are the worker's and most of them are secrets (a Slack webhook URL is its own password).
A destination is an Apprise URL (Slack, Teams, Mattermost, email... one URL each; given literally
or, better, read from an environment variable so a Kubernetes Secret can supply it) or a CloudEvents
endpoint (an HTTP URL, its credentials as headers read from environment variables).

Variables are read when a notification is sent, not when the config loads (the CLI loads this file
too, without the worker's secrets). No message here, in a problem or in a description, shows more of
an address than its scheme and host (an Apprise URL's "host" is often a token: only its scheme).

    notifications:
      ui_url: https://temporal.example.com
      templates: /etc/cutover/templates
      destinations:
        ops-slack: {apprise_from_env: CUTOVER_SLACK_URL}
        events:
          cloudevents: https://events.example.com/cutover
          headers_from_env: {Authorization: CUTOVER_EVENTS_AUTH}
"""

import os
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SECTION = "notifications"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token
APPRISE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
DESTINATION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class NotificationsConfigError(Exception):
    """A notifications setting the worker cannot use: the message names the field, the variable or the
    template file, never a URL or a secret. Retrying cannot help; the worker's config must change."""


class Strict(BaseModel):
    # Not cutover.platform.wiring's Strict: wiring imports this module to hold its section.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # inputs hold URLs


def shown_address(url: str) -> str:
    """An http(s) URL as people may see it: scheme and host (and port), no path, query or user."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _env_name(value: str) -> str:
    if not ENV_NAME.match(value):
        raise ValueError(
            "must name an environment variable (letters, digits and _, not starting with a digit)"
        )
    return value


def _http_url(value: str) -> str:
    """http(s) with a host and no user or password (credentials go in headers, from the environment)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError("must be an http:// or https:// URL with a host") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry a user or password: give headers_from_env")
    return value


def _resolved(variable: str, where: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise NotificationsConfigError(f"{where}: {variable} is not set in the worker's environment")
    return value


class Destination(Strict):
    """One of: `apprise: URL`, `apprise_from_env: VARIABLE`, or `cloudevents: URL` (with
    `headers_from_env: {Header-Name: VARIABLE}` for its credentials)."""

    apprise: str | None = Field(default=None, repr=False, description="an Apprise URL: it holds secrets")
    apprise_from_env: str | None = Field(default=None, description="the variable holding an Apprise URL")
    cloudevents: str | None = Field(default=None, repr=False, description="an http(s) URL")
    headers_from_env: dict[str, str] = Field(default_factory=dict, description="Header-Name: VARIABLE")

    @field_validator("apprise")
    @classmethod
    def _apprise_url(cls, value: str | None) -> str | None:
        if value is not None and not APPRISE_URL.match(value):
            raise ValueError("must be an Apprise URL (scheme://...), e.g. slack://... or mailtos://...")
        return value

    @field_validator("apprise_from_env")
    @classmethod
    def _apprise_variable(cls, value: str | None) -> str | None:
        return None if value is None else _env_name(value)

    @field_validator("cloudevents")
    @classmethod
    def _cloudevents_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("headers_from_env")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for header, variable in value.items():
            if not HEADER_NAME.match(header):
                raise ValueError(f"{header[:40]!r} is not an HTTP header name")
            if not ENV_NAME.match(variable):
                raise ValueError(f"{header}: must name an environment variable")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> "Destination":
        given = [f for f in ("apprise", "apprise_from_env", "cloudevents") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of apprise, apprise_from_env or cloudevents"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        if self.headers_from_env and self.cloudevents is None:
            raise ValueError("headers_from_env: only a cloudevents destination sends headers")
        return self

    @property
    def kind(self) -> Literal["apprise", "cloudevents"]:
        return "cloudevents" if self.cloudevents is not None else "apprise"

    def described(self) -> str:
        """What people may see of this destination: never a token, never a path."""
        if self.cloudevents is not None:
            return f"CloudEvents to {shown_address(self.cloudevents)}"
        if self.apprise_from_env is not None:
            return f"Apprise URL from {self.apprise_from_env}"
        assert self.apprise is not None
        return f"Apprise {self.apprise.split('://', 1)[0]}://…"

    def apprise_url(self, name: str) -> str:
        """The Apprise URL, a variable read now; a variable the worker lacks is named, never shown."""
        if self.apprise is not None:
            return self.apprise
        assert self.apprise_from_env is not None, "an apprise destination"
        return _resolved(self.apprise_from_env, f"{SECTION}.destinations.{name}.apprise_from_env")

    def cloudevents_headers(self, name: str) -> dict[str, str]:
        """The CloudEvents request's credential headers, each variable read now."""
        where = f"{SECTION}.destinations.{name}.headers_from_env"
        return {
            header: _resolved(variable, f"{where}.{header}")
            for header, variable in self.headers_from_env.items()
        }


class NotificationsConfig(Strict):
    """`destinations`: name -> where; `templates`: a folder whose `<kind>.j2` files replace the default
    messages (absolute, or relative to the worker's working directory); `ui_url`: the Temporal Web
    UI's base URL, for a link to the migration in each message."""

    destinations: dict[str, Destination] = Field(default_factory=dict)
    templates: str | None = None
    ui_url: str | None = None

    @field_validator("destinations")
    @classmethod
    def _names(cls, value: dict[str, Destination]) -> dict[str, Destination]:
        for name in value:
            if not DESTINATION_NAME.match(name):
                raise ValueError(f"{name[:40]!r}: a name is up to 63 letters, digits, '-', '_' and '.'")
        return value

    @field_validator("ui_url")
    @classmethod
    def _ui_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value).rstrip("/")

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must name a folder")
        return value
