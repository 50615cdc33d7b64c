"""The UAT match's validation, and UAT routes in the local environment."""

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cutover.demo.seed import seed
from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.interfaces import UatRouter, uat_routing_problem
from cutover.platform.local import LocalEnvironment


def route(**match: Any) -> UatRoute:
    return UatRoute(namespace="shop", service="checkout", match=UatMatch(**match))


# --- the match --------------------------------------------------------------------------------
def test_a_header_or_a_cookie_marks_the_testers() -> None:
    assert str(UatMatch(header="X-Cutover", value="green")) == "header X-Cutover: green"
    cookie = UatMatch(cookie="cutover", value="green")
    assert str(cookie) == "cookie cutover=green" and cookie.alb_cookie_value == "*cutover=green*"
    assert route(header="X-Cutover", value="green").key == "shop/checkout"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"value": "green"}, "exactly one of header or cookie"),
        ({"header": "X-A", "cookie": "a", "value": "green"}, "exactly one of header or cookie"),
        ({"header": "X Cutover", "value": "green"}, "should match pattern"),
        ({"header": "X-" + "a" * 39, "value": "green"}, "at most 40 characters"),
        ({"header": "Authorization", "value": "green"}, "cannot mark a UAT route"),
        ({"header": "cookie", "value": "green"}, "for a cookie use `cookie:`"),
        ({"header": "X-Cutover", "value": ""}, "at least 1 character"),
        ({"header": "X-Cutover", "value": "g" * 129}, "at most 128 characters"),
        ({"header": "X-Cutover", "value": "gr*en"}, "should match pattern"),  # an ALB wildcard
        ({"header": "X-Cutover", "value": "green blue"}, "should match pattern"),
        ({"cookie": "cutover", "value": "a;b"}, "should match pattern"),
        ({"cookie": "c" * 60, "value": "g" * 66}, "at most 125 characters"),
        ({"header": "X-Cutover", "value": "green", "path": "/"}, "Extra inputs are not permitted"),
    ],
)
def test_a_match_that_would_mean_something_else_somewhere_is_refused(
    fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        UatMatch(**fields)


# --- the local environment ---------------------------------------------------------------------
@pytest.fixture
def local(tmp_path: Path) -> LocalEnvironment:
    seed(tmp_path / "local.json")
    return LocalEnvironment(tmp_path / "local.json")


def test_open_read_back_and_close(local: LocalEnvironment) -> None:
    assert isinstance(local, UatRouter) and uat_routing_problem(local) is None
    assert local.uat_route("shop", "checkout") is None
    local.open_uat_route(route(header="X-Cutover", value="green"))
    assert local.uat_route("shop", "checkout") == UatMatch(header="X-Cutover", value="green")
    assert local.read()["uat_routes"] == {"shop/checkout": {"header": "X-Cutover", "value": "green"}}
    assert local.green_percent("shop", "checkout") == 0  # the public stays on blue
    local.close_uat_route("shop", "checkout")
    assert local.uat_route("shop", "checkout") is None
    assert local.read()["uat_routes"] == {}
    assert [op for op in local.read()["operations"] if op["op"].startswith("uat")] == [
        {"op": "uat-open", "service": "checkout", "header": "X-Cutover", "value": "green"},
        {"op": "uat-close", "service": "checkout"},
    ]


def test_opening_again_leaves_one_route_the_latest(local: LocalEnvironment) -> None:
    local.open_uat_route(route(header="X-Cutover", value="green"))
    local.open_uat_route(route(header="X-Cutover", value="green"))
    local.open_uat_route(route(cookie="cutover", value="green"))
    assert local.read()["uat_routes"] == {"shop/checkout": {"cookie": "cutover", "value": "green"}}
    assert local.uat_route("shop", "checkout") == UatMatch(cookie="cutover", value="green")
    assert len([op for op in local.read()["operations"] if op["op"] == "uat-open"]) == 2


def test_closing_what_is_not_open_is_fine(local: LocalEnvironment) -> None:
    local.close_uat_route("shop", "checkout")
    assert not [op for op in local.read()["operations"] if op["op"].startswith("uat")]


def test_a_state_file_from_before_uat_routes_works(local: LocalEnvironment) -> None:
    local.update(lambda state: state.pop("uat_routes"))
    assert local.uat_route("shop", "checkout") is None
    local.close_uat_route("shop", "checkout")
    local.open_uat_route(route(header="X-Cutover", value="green"))
    assert local.uat_route("shop", "checkout") is not None


def test_a_router_that_is_down_opens_nothing(local: LocalEnvironment) -> None:
    local.update(lambda state: state["failures"].update(router_down=True))
    with pytest.raises(ConnectionError, match="router is down"):
        local.open_uat_route(route(header="X-Cutover", value="green"))
    assert local.uat_route("shop", "checkout") is None


def test_a_router_that_cannot_route_by_header_is_named_in_one_line() -> None:
    class WeightsOnly:
        def green_percent(self, namespace: str, service: str) -> int:
            return 0

    problem = uat_routing_problem(WeightsOnly())
    assert problem is not None and "\n" not in problem
    assert "the WeightsOnly router cannot" in problem and problem.startswith("uat.route needs")
