"""UAT routes on a Gateway API HTTPRoute, through the official client to the API server double."""

import asyncio
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from cutover.activities.migration_activities import MigrationActivities, UatRoutes
from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.gateway_uat_target import GatewayUatTarget
from cutover.platform.interfaces import UatRouter, uat_routing_problem
from cutover.platform.kubernetes.uat_routes import ANNOTATION, GatewayUatRoutes, header_match
from cutover.platform.local import LocalEnvironment
from cutover.platform.local_reports import LocalReportStore
from cutover.platform.wiring import (
    LocalRole,
    PlatformConfig,
    PlatformConfigError,
    build_platform,
    build_uat_router,
)
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import NS, write_kubeconfig

HEADER = UatMatch(header="X-Cutover", value="green")
COOKIE = UatMatch(cookie="cutover", value="green.v2")
CHECKOUT = GatewayUatTarget(httproute="shop", namespace=NS, green_service="checkout-green", port=8080)


def backend(name: str) -> dict[str, Any]:
    return {"name": name, "port": 80}


def shop_route() -> dict[str, Any]:
    """The public route: /api with a rewrite to checkout, /cart to cart, everything else to checkout."""
    rewrite = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
    }
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "shop", "namespace": NS},
        "spec": {
            "parentRefs": [{"name": "public"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                    "filters": [rewrite],
                    "backendRefs": [backend("checkout")],
                },
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/cart"}}],
                    "backendRefs": [backend("cart")],
                },
                {"backendRefs": [backend("checkout")]},
            ],
        },
    }


@pytest.fixture
def double() -> Iterator[ApiServerDouble]:
    with start_double("gateway") as server:
        server.put_object(shop_route())
        yield server


@pytest.fixture
def routes(double: ApiServerDouble) -> Iterator[GatewayUatRoutes]:
    api_client = double.api_client()
    cart = GatewayUatTarget(
        httproute="shop", namespace=NS, green_service="cart-green", port=8080, blue_service="cart"
    )
    checkout = CHECKOUT.model_copy(update={"blue_service": "checkout"})
    yield GatewayUatRoutes(api_client, {f"{NS}/checkout": checkout, f"{NS}/cart": cart}, env="gateway")
    api_client.close()


def uat(match: UatMatch, service: str = "checkout") -> UatRoute:
    return UatRoute(namespace=NS, service=service, match=match)


def stored(double: ApiServerDouble) -> dict[str, Any]:
    found = double.get_object("httproutes", NS, "shop")
    assert found is not None
    return found


def writes(double: ApiServerDouble) -> list[str]:
    return [r.method for r in double.requests if r.method != "GET"]


def test_open_twins_each_rule_of_the_service_with_the_header_ahead_of_it(
    double: ApiServerDouble, routes: GatewayUatRoutes
) -> None:
    before = stored(double)["spec"]["rules"]
    assert isinstance(routes, UatRouter) and uat_routing_problem(routes) is None
    assert routes.uat_route(NS, "checkout") is None

    routes.open_uat_route(uat(HEADER))

    route = stored(double)
    header = {"type": "Exact", "name": "X-Cutover", "value": "green"}
    green = {"name": "checkout-green", "port": 8080}
    assert route["spec"]["rules"] == [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/api"}, "headers": [header]}],
            "filters": before[0]["filters"],  # green gets the rewrite blue gets
            "backendRefs": [green],
        },
        {"matches": [{"headers": [header]}], "backendRefs": [green]},
        *before,  # the public's rules, unchanged
    ]
    assert json.loads(route["metadata"]["annotations"][ANNOTATION]) == {
        f"{NS}/checkout": {"header": "X-Cutover", "value": "green"}
    }
    assert routes.uat_route(NS, "checkout") == HEADER
    assert [r.method for r in double.requests if r.method != "GET"] == ["PUT"]
    put = next(r for r in double.requests if r.method == "PUT")
    assert put.path == f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes/shop"
    assert put.query.get("fieldManager") == "cutover"


def test_opening_again_writes_nothing_and_another_match_replaces_the_twins(
    double: ApiServerDouble, routes: GatewayUatRoutes
) -> None:
    routes.open_uat_route(uat(HEADER))
    version = stored(double)["metadata"]["resourceVersion"]
    routes.open_uat_route(uat(HEADER))
    assert stored(double)["metadata"]["resourceVersion"] == version
    assert writes(double) == ["PUT"]

    routes.open_uat_route(uat(COOKIE))
    rules = stored(double)["spec"]["rules"]
    assert len(rules) == 5
    cookie = header_match(COOKIE)
    assert [m["headers"] for r in rules[:2] for m in r["matches"]] == [[cookie], [cookie]]
    assert routes.uat_route(NS, "checkout") == COOKIE


def test_the_cookie_match_is_a_regular_expression_on_the_cookie_header() -> None:
    found = header_match(COOKIE)
    assert (found["type"], found["name"]) == ("RegularExpression", "Cookie")
    pattern = re.compile(found["value"])
    for sent in ("cutover=green.v2", "a=1; cutover=green.v2", "a=1;cutover=green.v2; b=2"):
        assert pattern.search(sent), sent
    for sent in ("xcutover=green.v2", "cutover=green.v2x", "cutover=greenXv2", "a=cutover=green.v2"):
        assert not pattern.search(sent), sent


def test_close_restores_the_route_and_closing_again_writes_nothing(
    double: ApiServerDouble, routes: GatewayUatRoutes
) -> None:
    before = stored(double)
    routes.close_uat_route(NS, "checkout")  # nothing open
    assert writes(double) == []
    routes.open_uat_route(uat(HEADER))
    routes.close_uat_route(NS, "checkout")
    after = stored(double)
    assert after["spec"] == before["spec"] and "annotations" not in after["metadata"]
    assert routes.uat_route(NS, "checkout") is None
    routes.close_uat_route(NS, "checkout")
    assert writes(double) == ["PUT", "PUT"]


def test_two_services_on_one_route_keep_their_own_twins(
    double: ApiServerDouble, routes: GatewayUatRoutes
) -> None:
    routes.open_uat_route(uat(HEADER))
    routes.open_uat_route(uat(HEADER, service="cart"))  # the same header: the backends tell them apart
    rules = stored(double)["spec"]["rules"]
    assert [r["backendRefs"][0]["name"] for r in rules] == [
        "cart-green",
        "checkout-green",
        "checkout-green",
        "checkout",
        "cart",
        "checkout",
    ]
    assert routes.uat_route(NS, "cart") == HEADER
    routes.close_uat_route(NS, "checkout")
    assert [r["backendRefs"][0]["name"] for r in stored(double)["spec"]["rules"]] == [
        "cart-green",
        "checkout",
        "cart",
        "checkout",
    ]
    assert routes.uat_route(NS, "cart") == HEADER and routes.uat_route(NS, "checkout") is None


def test_a_route_whose_twins_someone_removed_reads_back_as_closed(
    double: ApiServerDouble, routes: GatewayUatRoutes
) -> None:
    routes.open_uat_route(uat(HEADER))
    edited = stored(double)
    edited["spec"]["rules"] = edited["spec"]["rules"][2:]
    double.put_object(edited)
    assert routes.uat_route(NS, "checkout") is None
    routes.open_uat_route(uat(HEADER))
    assert routes.uat_route(NS, "checkout") == HEADER and len(stored(double)["spec"]["rules"]) == 5


def test_a_write_that_lost_a_race_is_made_again_on_the_new_route(
    double: ApiServerDouble, routes: GatewayUatRoutes, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = routes.api.get_namespaced_custom_object
    raced: list[bool] = []

    def read_then_someone_adds_a_rule(*args: Any, **kwargs: Any) -> Any:
        response = read(*args, **kwargs)
        if not raced:
            raced.append(True)
            changed = stored(double)
            changed["spec"]["rules"].append({"backendRefs": [backend("checkout")]})
            double.put_object(changed)
        return response

    monkeypatch.setattr(routes.api, "get_namespaced_custom_object", read_then_someone_adds_a_rule)
    routes.open_uat_route(uat(HEADER))
    assert writes(double) == ["PUT", "PUT"]  # the first answered 409 Conflict
    rules = stored(double)["spec"]["rules"]
    assert len(rules) == 4 + 3  # their rule is kept, and twinned too


def test_a_missing_route_is_permanent_to_open_and_fine_to_close(double: ApiServerDouble) -> None:
    api_client = double.api_client()
    gone = GatewayUatRoutes(
        api_client, {f"{NS}/checkout": CHECKOUT.model_copy(update={"httproute": "gone"})}, "gateway"
    )
    with pytest.raises(PermanentError, match=f"HTTPRoute {NS}/gone does not exist in gateway") as caught:
        gone.open_uat_route(uat(HEADER))
    assert caught.value.kind == "k8s.404"
    gone.close_uat_route(NS, "checkout")
    assert gone.uat_route(NS, "checkout") is None
    with pytest.raises(PermanentError, match=f"no Gateway API UAT route configured for {NS}/cart"):
        gone.open_uat_route(uat(HEADER, service="cart"))
    api_client.close()


def test_denied_is_permanent_a_server_error_transient(
    double: ApiServerDouble, routes: GatewayUatRoutes
) -> None:
    double.fail_next(403, "Forbidden", "httproutes")
    with pytest.raises(PermanentError) as denied:
        routes.open_uat_route(uat(HEADER))
    assert denied.value.kind == "k8s.403"
    double.fail_next(500, "InternalError", "httproutes")
    with pytest.raises(TransientError):
        routes.open_uat_route(uat(HEADER))
    assert routes.uat_route(NS, "checkout") is None


def test_a_route_without_the_service_or_with_too_many_rules_is_refused(
    double: ApiServerDouble, routes: GatewayUatRoutes
) -> None:
    route = shop_route()
    route["spec"]["rules"] = route["spec"]["rules"][1:2]  # /cart alone
    double.put_object(route)
    with pytest.raises(PermanentError, match="has no rule that sends traffic to Service checkout"):
        routes.open_uat_route(uat(HEADER))
    route["spec"]["rules"] = [copy.deepcopy(shop_route()["spec"]["rules"][2]) for _ in range(9)]
    double.put_object(route)
    with pytest.raises(PermanentError, match="would hold 18 rules") as caught:
        routes.open_uat_route(uat(HEADER))
    assert caught.value.kind == "k8s.TooManyRules"


def test_green_in_another_namespace_is_named_in_its_backend(double: ApiServerDouble) -> None:
    api_client = double.api_client()
    target = CHECKOUT.model_copy(update={"green_namespace": "shop-green"})
    routes = GatewayUatRoutes(api_client, {f"{NS}/checkout": target}, "gateway")
    routes.open_uat_route(uat(HEADER))
    rules = stored(double)["spec"]["rules"]
    assert len(rules) == 3 + 3  # every rule with a backend is twinned without blue_service
    assert rules[0]["backendRefs"] == [{"name": "checkout-green", "port": 8080, "namespace": "shop-green"}]
    assert routes.uat_route(NS, "checkout") == HEADER
    api_client.close()


def test_the_platform_config_puts_the_testers_route_on_the_gateway(
    double: ApiServerDouble, tmp_path: Path
) -> None:
    """`uat: {kind: gateway}` in the worker's config: the activities open and close the route as
    HTTPRoute rules in that cluster (through a kubeconfig, as a worker would), the router untouched."""
    config = PlatformConfig.model_validate(
        {
            "cluster": {
                "kind": "kubernetes",
                "source_env": "gateway",
                "contexts": {"gateway": "ctx-gateway"},
                "kubeconfig": str(write_kubeconfig(tmp_path / "kubeconfig", {"gateway": double})),
            },
            "uat": {"kind": "gateway", "env": "gateway", "routes": {f"{NS}/checkout": CHECKOUT.model_dump()}},
        }
    )
    local = LocalEnvironment(tmp_path / "local-env.json")
    cluster, router, metrics = build_platform(config, local)
    activities = MigrationActivities(
        cluster, router, metrics, tmp_path, LocalReportStore(tmp_path), uat=build_uat_router(config, cluster)
    )
    routes = UatRoutes(routes=[uat(HEADER)])
    asyncio.run(ActivityEnvironment().run(activities.open_uat_routes, routes))
    assert [r.get("backendRefs") for r in stored(double)["spec"]["rules"][:2]] == [
        [{"name": "checkout-green", "port": 8080}]
    ] * 2
    asyncio.run(ActivityEnvironment().run(activities.close_uat_routes, routes))
    assert stored(double)["spec"]["rules"] == shop_route()["spec"]["rules"]
    refused = config.model_copy(update={"cluster": LocalRole()})
    with pytest.raises(PlatformConfigError, match="uat: Gateway API routes need cluster.kind kubernetes"):
        build_uat_router(refused, local)
