"""The demo shop's HTTP front, one server per environment on loopback, for the plan's checks to test.

Each answers `/health` ({"status": "ok"}), `/api/catalog` (a small JSON list) and `/replication`
({"in_sync": true}: the orders database's replica in green keeps up). `--fail-check NAME` breaks
green where that check looks: `load-comparison` makes green take 60 ms an answer (blue answers at
once), `e2e` makes green's health "degraded", `orders-in-sync` makes green's replica fall behind.
The servers run on the demo's event loop; the worker (another process) sends the checks' requests.
"""

import asyncio
from dataclasses import dataclass

from aiohttp import web

from cutover.demo.local_servers import free_port

SLOW_ANSWER_S = 0.06
FAILABLE_CHECKS = ("load-comparison", "e2e", "orders-in-sync")
CATALOG = [{"sku": "tea-01", "price": 4.5}, {"sku": "mug-02", "price": 9.0}]


@dataclass(frozen=True)
class Breakage:
    slow: bool = False
    degraded: bool = False
    behind: bool = False

    @classmethod
    def for_check(cls, name: str | None) -> "Breakage":
        return cls(slow=name == "load-comparison", degraded=name == "e2e", behind=name == "orders-in-sync")


def shop_app(breakage: Breakage) -> web.Application:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "degraded" if breakage.degraded else "ok"})

    async def catalog(_: web.Request) -> web.Response:
        if breakage.slow:
            await asyncio.sleep(SLOW_ANSWER_S)
        return web.json_response(CATALOG)

    async def replication(_: web.Request) -> web.Response:
        lag = 900 if breakage.behind else 0
        return web.json_response({"in_sync": not breakage.behind, "lag_seconds": lag})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/api/catalog", catalog)
    app.router.add_get("/replication", replication)
    return app


@dataclass
class ShopServices:
    blue_url: str
    green_url: str
    runners: list[web.AppRunner]

    async def stop(self) -> None:
        for runner in self.runners:
            await runner.cleanup()


async def start_shop_services(failing_check: str | None) -> ShopServices:
    """Blue's front as it is, green's broken where `failing_check` looks (None: green is healthy)."""
    urls, runners = [], []
    for breakage in (Breakage(), Breakage.for_check(failing_check)):
        runner = web.AppRunner(shop_app(breakage), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        urls.append(f"http://127.0.0.1:{port}")
        runners.append(runner)
    return ShopServices(blue_url=urls[0], green_url=urls[1], runners=runners)
