"""Sending a notification to the destinations a plan names, from the worker (an activity's body).

Each destination gets the notification once: the ledger says which already have it, so a retried
activity posts only to those that failed. Failures come back as data, one per destination, and
never stop the others; the caller decides what to retry (`permanent` ones cannot succeed until the
worker's config changes). A reason names the destination and shows at most a scheme and a host.

Apprise destinations get the rendered message with its values escaped for chat markup, and no
format declared, so Apprise passes it through untouched; Apprise's Slack escapes plain text itself,
so it gets the unescaped message declared as text (escaping twice would show `&lt;` in Slack).

A CloudEvents destination gets one structured-mode CloudEvent 1.0 per notification, POSTed as
`application/cloudevents+json`; its id is the notification's key, the same on every retry, so a
receiver can drop a second copy.
"""

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import apprise
import httpx

from cutover.notify.config import Destination, NotificationsConfig, NotificationsConfigError
from cutover.notify.events import DeliveryFailure, Notification, NotifyRequest
from cutover.notify.ledger import SentLedger
from cutover.notify.render import render

CLOUDEVENTS_TIMEOUT = 10.0  # seconds, for each of connect, read, write
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
TYPE_PREFIX = "io.cutover."
USER_AGENT = "cutover"
# Worth another try: the receiver was busy or timed out; any other 4xx needs a person.
TRANSIENT_STATUSES = frozenset({408, 425, 429})
# Apprise services that escape plain text for their own markup (type names, stable across versions).
SELF_ESCAPING = frozenset({"NotifySlack"})
_KEPT_IN_IDS = ":@+=,"

# Apprise's debug lines can carry a service's URL, its token included: the worker keeps at most its
# warnings unless someone asks for more after this module loads.
_apprise_logger = logging.getLogger("apprise")
if _apprise_logger.level < logging.WARNING:
    _apprise_logger.setLevel(logging.WARNING)


class _NotDelivered(Exception):
    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


Texts = Callable[[bool], tuple[str, str]]


def cloud_event(notification: Notification, namespace: str, title: str, text: str) -> dict[str, Any]:
    """The notification as a structured-mode CloudEvent 1.0: its data is the notification's fields
    and the rendered message (`title`, `text`, escaped for chat markup)."""
    data = notification.model_dump(mode="json")
    where = f"{quote(namespace, safe=_KEPT_IN_IDS)}/{quote(notification.migration, safe=_KEPT_IN_IDS)}"
    return {
        "specversion": "1.0",
        "id": notification.key,
        "source": f"cutover/{where}",
        "type": f"{TYPE_PREFIX}{notification.kind}",
        "time": data["time"],
        "subject": notification.migration,
        "datacontenttype": "application/json",
        "data": {**data, "title": title, "text": text},
    }


async def deliver(
    request: NotifyRequest, config: NotificationsConfig, ledger: SentLedger, namespace: str
) -> list[DeliveryFailure]:
    """Send the request's notification to each destination it names that has not had it yet; the
    failures, in the request's order (an empty list: every destination has it now)."""
    notification = request.notification
    templates = Path(config.templates) if config.templates else None
    rendered: dict[bool, tuple[str, str]] = {}

    def texts(escape: bool) -> tuple[str, str]:
        if escape not in rendered:
            rendered[escape] = render(notification, templates, config.ui_url, namespace, escape=escape)
        return rendered[escape]

    names = list(dict.fromkeys(request.destinations))
    limits = httpx.Timeout(CLOUDEVENTS_TIMEOUT)
    async with httpx.AsyncClient(timeout=limits, follow_redirects=False) as client:
        outcomes = await asyncio.gather(
            *(_deliver_one(name, notification, config, ledger, namespace, texts, client) for name in names)
        )
    return [failure for failure in outcomes if failure is not None]


async def _deliver_one(
    name: str,
    notification: Notification,
    config: NotificationsConfig,
    ledger: SentLedger,
    namespace: str,
    texts: Texts,
    client: httpx.AsyncClient,
) -> DeliveryFailure | None:
    destination = config.destinations.get(name)
    if destination is None:
        reason = f"no destination named {name} in the worker's notifications config"
        return DeliveryFailure(destination=name, reason=reason, permanent=True)
    if ledger.sent(notification.key, name):
        return None
    try:
        if destination.kind == "cloudevents":
            await _send_cloud_event(name, destination, notification, namespace, texts, client)
        else:
            await _send_apprise(name, destination, texts)
    except NotificationsConfigError as error:
        return DeliveryFailure(destination=name, reason=str(error), permanent=True)
    except _NotDelivered as error:
        reason = f"{destination.described()}: {error.reason}"
        return DeliveryFailure(destination=name, reason=reason, permanent=error.permanent)
    try:
        ledger.mark(notification.key, name)
    except OSError as error:
        reason = f"delivered, but the ledger could not record it ({type(error).__name__}: {error.strerror})"
        return DeliveryFailure(destination=name, reason=reason)
    return None


async def _send_cloud_event(
    name: str,
    destination: Destination,
    notification: Notification,
    namespace: str,
    texts: Texts,
    client: httpx.AsyncClient,
) -> None:
    assert destination.cloudevents is not None
    headers = {
        **destination.cloudevents_headers(name),
        "Content-Type": CLOUDEVENTS_CONTENT_TYPE,
        "User-Agent": USER_AGENT,
    }
    title, text = texts(True)
    body = json.dumps(cloud_event(notification, namespace, title, text), separators=(",", ":"))
    try:
        response = await client.post(destination.cloudevents, content=body.encode(), headers=headers)
    except httpx.TimeoutException as error:
        raise _NotDelivered(f"no answer in {CLOUDEVENTS_TIMEOUT:g}s ({type(error).__name__})") from None
    except httpx.HTTPError as error:
        # The type only: an httpx message can hold the request's URL.
        raise _NotDelivered(f"could not connect ({type(error).__name__})") from None
    if response.is_success:
        return
    status = response.status_code
    permanent = status < 500 and status not in TRANSIENT_STATUSES
    raise _NotDelivered(f"answered HTTP {status} {response.reason_phrase}".rstrip(), permanent=permanent)


async def _send_apprise(name: str, destination: Destination, texts: Texts) -> None:
    url = destination.apprise_url(name)
    asset = apprise.AppriseAsset(app_id=USER_AGENT, app_desc="cutover notifications")
    services = apprise.Apprise(asset=asset)
    if not services.add(url):
        raise _NotDelivered("Apprise cannot use this URL (its scheme, or a part it needs)", permanent=True)
    service = services[0]
    plain = type(service).__name__ in SELF_ESCAPING
    title, body = texts(not plain)
    options: dict[str, Any] = {"body_format": apprise.NotifyFormat.TEXT} if plain else {}
    try:
        accepted = await services.async_notify(body=body, title=title, **options)
    except Exception as error:  # a plugin's bug must not stop the other destinations
        raise _NotDelivered(f"{service.service_name} failed ({type(error).__name__})") from None
    if not accepted:
        status = getattr(accepted, "status", None)  # Apprise 2: why; 1.x returns a bool
        why = f" ({status.name})" if status is not None else ""
        raise _NotDelivered(
            f"{service.service_name} did not accept it{why}: Apprise's warning in the worker's log says why"
        )
