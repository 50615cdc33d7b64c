"""Where the demo's notifications land: a loopback CloudEvents receiver that prints each one as it
arrives (as a team's Slack channel or event bus would get it), so the demo shows who is told what."""

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from cutover.demo.local_servers import free_port

DESTINATION = "demo-receiver"
PATH = "/events"


@dataclass
class NotificationReceiver:
    url: str
    runner: web.AppRunner
    received: list[dict[str, object]]

    async def stop(self) -> None:
        await self.runner.cleanup()


def told(event: dict[str, object]) -> str:
    """One line per notification: its kind and its title (the message a chat channel shows first)."""
    data = event.get("data")
    title = data.get("title", "") if isinstance(data, dict) else ""
    kind = str(event.get("type", "")).removeprefix("io.cutover.")
    return f"NOTIFIED [{kind}] {title}"


async def start_notification_receiver(echo: Callable[[str], None]) -> NotificationReceiver:
    received: list[dict[str, object]] = []

    async def take(request: web.Request) -> web.Response:
        event = await request.json()
        received.append(event)
        echo(told(event))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post(PATH, take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return NotificationReceiver(url=f"http://127.0.0.1:{port}{PATH}", runner=runner, received=received)
