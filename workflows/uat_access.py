"""UAT on green before the public: while the uat gate is open, testers' requests that carry the
plan's header or cookie (uat.route) reach green's exposed services, while the weights keep every
other request on blue. The route is registered as an undo before it is opened, closed once the gate
is decided, and closed by a rollback from anywhere in between; the status and the UI's details say
how to reach green meanwhile."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cutover.activities.migration_activities import MigrationActivities, UatRoutes
    from cutover.models import EventKind
    from cutover.plan.uat import UatMatch, UatRoute
    from cutover.workflows.checks import UAT_GATE, Checks
    from cutover.workflows.migration_state import names
    from cutover.workflows.options import FORWARD


class UatAccess(Checks):
    async def _gate(self, name: str) -> None:
        match = self.plan.uat.route
        if name != UAT_GATE or match is None or not self.plan.needs_approval(name) or not self._exposed():
            await super()._gate(name)
            return
        await self._checkpoint()
        routes = self._uat_routes(match)
        services = names([route.service for route in routes.routes])
        self._undo.uat_routes = True  # before the change: a route cut off half-way is closed too
        self._step(f"open the UAT route to green for {services}")
        await self._act(MigrationActivities.open_uat_routes, routes, FORWARD)
        self._status.uat_route = f"requests with {match} reach green's {services}; the rest stay on blue"
        self._event(EventKind.UAT_ROUTE, f"UAT route open: {self._status.uat_route}")
        await super()._gate(name)
        await self._close_uat_route("the uat gate is decided")

    def _gate_note(self, name: str) -> str:
        """The uat gate tells its approvers (and testers) how to reach green while it is open."""
        if name == UAT_GATE and self._status.uat_route:
            return f"UAT on green: {self._status.uat_route}"
        return super()._gate_note(name)

    async def _close_uat_route(self, why: str) -> None:
        """Testers back on blue's route like everyone else; a failure to close rolls back (whose first
        undo closes it again)."""
        routes = self._uat_routes(self._uat_match())
        self._step(f"close the UAT route ({why})")
        await self._act(MigrationActivities.close_uat_routes, routes, FORWARD)
        self._uat_route_closed(why)

    def _uat_route_closed(self, why: str) -> None:
        self._undo.uat_routes = False
        self._status.uat_route = None
        self._event(EventKind.UAT_ROUTE, f"UAT route closed: {why}")

    def _uat_match(self) -> UatMatch:
        match = self.plan.uat.route
        assert match is not None, "only a plan with uat.route opens one"
        return match

    def _uat_routes(self, match: UatMatch) -> UatRoutes:
        exposed = self._exposed()
        return UatRoutes(
            routes=[UatRoute(namespace=w.namespace, service=w.service, match=match) for w in exposed]
        )
