"""The worker's `notifications:` section: each problem names its field, and never shows a secret."""

from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from cutover.notify.config import Destination, NotificationsConfig, NotificationsConfigError
from cutover.plan.model import validation_problems

SECRET = "T0KEN-s3cret"

EXAMPLE = """
notifications:
  ui_url: https://temporal.example.com/
  templates: /etc/cutover/templates
  destinations:
    ops-slack: {apprise_from_env: CUTOVER_SLACK_URL}
    team-mail: {apprise: "mailtos://user:pass@example.com?to=team@example.com"}
    events:
      cloudevents: https://events.example.com/cutover
      headers_from_env: {Authorization: CUTOVER_EVENTS_AUTH}
"""


class Section(BaseModel):
    """As the platform config holds it."""

    notifications: NotificationsConfig


def problems(notifications: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Section.model_validate({"notifications": notifications})
    return validation_problems(caught.value)


def test_the_example_loads() -> None:
    config = Section.model_validate(yaml.safe_load(EXAMPLE)).notifications
    assert config.ui_url == "https://temporal.example.com"
    assert config.templates == "/etc/cutover/templates"
    assert {name: d.kind for name, d in config.destinations.items()} == {
        "ops-slack": "apprise",
        "team-mail": "apprise",
        "events": "cloudevents",
    }
    assert config.destinations["events"].headers_from_env == {"Authorization": "CUTOVER_EVENTS_AUTH"}


def test_each_problem_names_its_field() -> None:
    found = problems(
        {
            "destinations": {
                "both": {"apprise": "json://h/p", "cloudevents": "https://h/p"},
                "none": {},
                "ftp": {"cloudevents": "ftp://h/p"},
                "user": {"cloudevents": f"https://me:{SECRET}@h/p"},
                "not-a-url": {"apprise": f"{SECRET} here"},
                "variable": {"apprise_from_env": "not-a-variable"},
                "stray-headers": {"apprise": "json://h/p", "headers_from_env": {"X-Token": "TOKEN"}},
                "header": {"cloudevents": "https://h/p", "headers_from_env": {"Bad Header": "TOKEN"}},
                "typo": {"apprise": "json://h/p", "url": "x"},
            },
            "ui_url": "temporal.example.com",
            "templates": " ",
            "extra": 1,
        }
    )
    assert found == [
        "notifications.destinations.both: give exactly one of apprise, apprise_from_env or cloudevents "
        "(got apprise and cloudevents)",
        "notifications.destinations.none: give exactly one of apprise, apprise_from_env or cloudevents",
        "notifications.destinations.ftp.cloudevents: must be an http:// or https:// URL with a host",
        "notifications.destinations.user.cloudevents: must not carry a user or password: "
        "give headers_from_env",
        "notifications.destinations.not-a-url.apprise: must be an Apprise URL (scheme://...), "
        "e.g. slack://... or mailtos://...",
        "notifications.destinations.variable.apprise_from_env: must name an environment variable "
        "(letters, digits and _, not starting with a digit)",
        "notifications.destinations.stray-headers: headers_from_env: "
        "only a cloudevents destination sends headers",
        "notifications.destinations.header.headers_from_env: 'Bad Header' is not an HTTP header name",
        "notifications.destinations.typo.url: unknown field",
        "notifications.templates: must name a folder",
        "notifications.ui_url: must be an http:// or https:// URL with a host",
        "notifications.extra: unknown field",
    ]
    assert not [problem for problem in found if SECRET in problem]


def test_a_destination_name_is_a_short_word() -> None:
    assert problems({"destinations": {"ops slack": {"apprise": "json://h/p"}}}) == [
        "notifications.destinations: 'ops slack': a name is up to 63 letters, digits, '-', '_' and '.'"
    ]


def test_secrets_are_read_when_sent_and_a_missing_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    apprise = Destination(apprise_from_env="CUTOVER_TEST_URL")
    events = Destination(cloudevents="https://h/p", headers_from_env={"Authorization": "CUTOVER_TEST_AUTH"})
    monkeypatch.delenv("CUTOVER_TEST_URL", raising=False)
    monkeypatch.delenv("CUTOVER_TEST_AUTH", raising=False)
    with pytest.raises(NotificationsConfigError) as caught:
        apprise.apprise_url("ops")
    assert str(caught.value) == (
        "notifications.destinations.ops.apprise_from_env: "
        "CUTOVER_TEST_URL is not set in the worker's environment"
    )
    with pytest.raises(
        NotificationsConfigError, match=r"events\.headers_from_env\.Authorization: CUTOVER_TEST_AUTH"
    ):
        events.cloudevents_headers("events")
    monkeypatch.setenv("CUTOVER_TEST_URL", f"json://{SECRET}@h/p")
    monkeypatch.setenv("CUTOVER_TEST_AUTH", f"Bearer {SECRET}")
    assert apprise.apprise_url("ops") == f"json://{SECRET}@h/p"
    assert events.cloudevents_headers("events") == {"Authorization": f"Bearer {SECRET}"}


def test_descriptions_and_reprs_show_no_secret() -> None:
    destinations = [
        Destination(apprise=f"slack://{SECRET}/B0/C0"),
        Destination(apprise_from_env="CUTOVER_SLACK_URL"),
        Destination(cloudevents=f"https://events.example.com:8443/hook/{SECRET}?token={SECRET}"),
    ]
    assert [d.described() for d in destinations] == [
        "Apprise slack://…",
        "Apprise URL from CUTOVER_SLACK_URL",
        "CloudEvents to https://events.example.com:8443",
    ]
    assert not [d for d in destinations if SECRET in repr(d)]
    with pytest.raises(ValidationError) as caught:
        NotificationsConfig.model_validate({"destinations": {"x": {"cloudevents": f"https://u:{SECRET}@h"}}})
    assert SECRET not in str(caught.value)
