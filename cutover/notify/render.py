"""A notification as a short chat message: a title line and a few facts, from a Jinja2 template.

Each kind has a default template in cutover/notify/templates (`<kind>.j2`, the facts shared in
`_facts.j2`); a worker's `notifications.templates` folder replaces any of them by name, and may
include the defaults' `_facts.j2`. A template's first line is the title, the rest the body.

What a template can use: the notification's fields (`kind`, `migration`, `plan`, `time`, `actor`,
`message`, `verified`, `gate`, `approvers`, `approved_by`, `needed`, `deadline`, `command`,
`how_to_reach_green`, `evidence`, `review_location`), `ui_link` (the migration in the Temporal Web
UI, or None) and `namespace`; the filter `when` writes a time as `2026-05-01 14:00 UTC`.

Every value a template writes is escaped for chat markup (`&`, `<`, `>`, as Slack's and Mattermost's
mrkdwn want): a sender named `<!channel>` shows as that text and notifies no one. The template's own
text is not escaped. A template that does not compile or render is a config error naming its file.
"""

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment

from cutover.notify.config import SECTION, NotificationsConfigError
from cutover.notify.events import Notification, NotificationKind

SUFFIX = ".j2"


def chat_escape(value: object) -> str:
    """A value as chat text: `&`, `<` and `>` as entities, so no value becomes a link or a mention."""
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(value: object) -> str:
    return "" if value is None else str(value)


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ui_link(ui_url: str | None, namespace: str, migration: str) -> str | None:
    """The migration's page in the Temporal Web UI (its latest run), or None without a UI URL."""
    if ui_url is None:
        return None
    return (
        f"{ui_url.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/{quote(migration, safe='')}"
    )


@lru_cache(maxsize=8)
def _environment(templates_dir: Path | None, escape: bool) -> SandboxedEnvironment:
    """Sandboxed: a template reads the notification it is given, nothing else of the worker."""
    loaders: list[BaseLoader] = [PackageLoader("cutover.notify", "templates")]
    if templates_dir is not None:
        loaders.insert(0, FileSystemLoader(templates_dir))
    environment = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,  # HTML escaping (quotes as &#34;) is wrong for chat: finalize escapes instead
        finalize=chat_escape if escape else _plain,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = _when
    return environment


def _folder(templates_dir: Path) -> Path:
    if not templates_dir.is_dir():
        raise NotificationsConfigError(f"{SECTION}.templates: {templates_dir} is not a folder")
    return templates_dir


def _file(templates_dir: Path | None, name: str) -> str:
    """Which file a template name is: the override's path, or the default's name."""
    if templates_dir is not None and (templates_dir / name).is_file():
        return str(templates_dir / name)
    return f"the default {name}"


def render(
    notification: Notification,
    templates_dir: Path | None,
    ui_url: str | None,
    namespace: str,
    *,
    escape: bool = True,
) -> tuple[str, str]:
    """The notification's (title, body). `escape=False` leaves values as they are, for a sender
    that escapes for its service itself (Apprise's Slack, given plain text).

    Raises NotificationsConfigError for a template folder that is not one, or a template that fails.
    """
    if templates_dir is not None:
        _folder(templates_dir)
    name = f"{notification.kind}{SUFFIX}"
    variables: dict[str, Any] = {
        **dict(notification),
        "kind": str(notification.kind),
        "ui_link": ui_link(ui_url, namespace, notification.migration),
        "namespace": namespace,
    }
    try:
        text = _environment(templates_dir, escape).get_template(name).render(variables)
    except TemplateSyntaxError as error:
        where = error.filename or _file(templates_dir, error.name or name)
        raise NotificationsConfigError(
            f"{SECTION}.templates: {where}: line {error.lineno}: {error.message}"
        ) from None
    except TemplateError as error:
        raise NotificationsConfigError(
            f"{SECTION}.templates: {_file(templates_dir, name)}: {error.message}"
        ) from None
    title, _, body = text.strip().partition("\n")
    if not title.strip():
        raise NotificationsConfigError(
            f"{SECTION}.templates: {_file(templates_dir, name)}: renders no title (its first line)"
        )
    return title.strip(), body.strip()


def sample_notification() -> Notification:
    """A notification with every field set, to try templates on."""
    return Notification(
        key="sample/1",
        kind=NotificationKind.GATE_OPENED,
        migration="sample",
        plan="sample-plan",
        time=datetime(2026, 1, 1, tzinfo=UTC),
        actor="alice",
        message="Gate uat opened",
        verified=True,
        gate="uat",
        approvers=["alice", "bob"],
        approved_by=["alice"],
        needed=2,
        deadline=datetime(2026, 1, 2, tzinfo=UTC),
        command="cutover approve sample --gate uat",
        how_to_reach_green="Send the header X-Green: 1",
        evidence=["error rate 0.1% < 1%"],
        review_location="s3://reviews/sample.md",
    )


def check_templates(templates_dir: Path, namespace: str = "default") -> None:
    """At the worker's start: the folder holds only `<kind>.j2` overrides and `_name.j2` partials,
    and every kind renders with it. Raises NotificationsConfigError naming the first bad file."""
    kinds = {f"{kind}{SUFFIX}" for kind in NotificationKind}
    for file in sorted(_folder(templates_dir).glob(f"*{SUFFIX}")):
        if file.name not in kinds and not file.name.startswith("_"):
            raise NotificationsConfigError(
                f"{SECTION}.templates: {file}: names no notification kind "
                f"(one of {', '.join(sorted(kinds))}, or _name.j2 for a partial)"
            )
    sample = sample_notification()
    for kind in NotificationKind:
        render(sample.model_copy(update={"kind": kind}), templates_dir, "https://ui.example", namespace)
