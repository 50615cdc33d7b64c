"""Notifications in a rehearsal are rendered and routed as the plan says, but never sent: every
destination the plan names is, for the rehearsal's worker, a loopback CloudEvents endpoint that
only records and prints what would have gone where."""

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from cutover.demo.local_servers import free_port
from cutover.notify.config import Destination, NotificationsConfig
from cutover.plan.model import Plan

Echo = Callable[[str], None]


@dataclass
class NotSent:
    """What the plan's routes would have sent, by destination: (kind, title) in order."""

    url: str
    runner: web.AppRunner
    held: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def config(self, plan: Plan) -> NotificationsConfig:
        """Each destination the plan routes to, as this recorder."""
        names = {name for route in plan.notify.routes for name in route.to}
        return NotificationsConfig(
            destinations={name: Destination(cloudevents=f"{self.url}/{name}") for name in sorted(names)}
        )

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_recorder(echo: Echo) -> NotSent:
    recorder: list[NotSent] = []

    async def take(request: web.Request) -> web.Response:
        event = await request.json()
        data = event.get("data") if isinstance(event, dict) else None
        title = str(data.get("title", "")) if isinstance(data, dict) else ""
        kind = str(event.get("type", "")).removeprefix("io.cutover.")
        destination = request.match_info["destination"]
        recorder[0].held.setdefault(destination, []).append((kind, title))
        echo(f"  (not sent) to {destination}: [{kind}] {title}")
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/{destination}", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    recorder.append(NotSent(url=f"http://127.0.0.1:{port}", runner=runner))
    return recorder[0]
