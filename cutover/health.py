"""The worker's health endpoint, for Kubernetes probes.

/livez answers 200 while the process's event loop runs (a wedged loop answers nothing, and the pod is
restarted). /readyz answers 200 only while the worker is connected and polling, else 503 with why
(still connecting, shutting down): a worker waiting for Temporal is alive but not ready, so it is not
restarted in a loop.
"""

from dataclasses import dataclass

from aiohttp import web

HEALTH_PORT_ENV = "CUTOVER_HEALTH_PORT"


@dataclass
class Readiness:
    """What /readyz says; the worker's run loop sets it."""

    ready: bool = False
    reason: str = "starting"

    def set_ready(self) -> None:
        self.ready, self.reason = True, "polling"

    def set_not_ready(self, reason: str) -> None:
        self.ready, self.reason = False, reason


def health_app(readiness: Readiness) -> web.Application:
    async def livez(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        return web.Response(status=200 if readiness.ready else 503, text=f"{readiness.reason}\n")

    app = web.Application()
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    return app


async def serve_health(readiness: Readiness, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    """Start serving on host:port; the caller cleans the runner up on exit."""
    runner = web.AppRunner(health_app(readiness), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
