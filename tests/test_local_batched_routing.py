"""set_green_percents on the local environment, and the error every router raises for a batch."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cutover.demo.seed import BLUE, GREEN, seed
from cutover.models import WeightChange
from cutover.platform.errors import PermanentError, TransientError
from cutover.platform.interfaces import raise_first_failure
from cutover.platform.local import LocalEnvironment

SERVICES = ("checkout", "catalog", "cart")


def change(service: str, green: int) -> WeightChange:
    return WeightChange(
        service=service, namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=green
    )


class CountingLocal(LocalEnvironment):
    """The local environment, counting its updates of the state file."""

    updates = 0

    def update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        self.updates += 1
        return super().update(change)


def test_a_batch_lands_in_one_update(tmp_path: Path) -> None:
    seed(tmp_path / "local.json")
    local = CountingLocal(tmp_path / "local.json")
    local.set_green_percents([change(s, 10 * (i + 1)) for i, s in enumerate(SERVICES)])
    assert local.updates == 1
    assert {s: local.green_percent("shop", s) for s in SERVICES} == {
        "checkout": 10,
        "catalog": 20,
        "cart": 30,
    }
    assert local.read()["operations"][-3:] == [
        {"op": "route", "service": "checkout", "green": 10},
        {"op": "route", "service": "catalog", "green": 20},
        {"op": "route", "service": "cart", "green": 30},
    ]


def test_one_change_is_a_batch_of_one(tmp_path: Path) -> None:
    seed(tmp_path / "local.json")
    local = CountingLocal(tmp_path / "local.json")
    local.set_green_percent(change("checkout", 5))
    assert local.updates == 1
    assert local.green_percent("shop", "checkout") == 5
    assert local.read()["operations"][-1] == {"op": "route", "service": "checkout", "green": 5}


def test_router_down_raises_and_changes_nothing(tmp_path: Path) -> None:
    local = seed(tmp_path / "local.json", {"router_down": True})
    before = local.path.read_text()
    with pytest.raises(ConnectionError, match="local router is down"):
        local.set_green_percents([change(s, 25) for s in SERVICES])
    assert local.path.read_text() == before


# --- raise_first_failure -----------------------------------------------------------------------


def batch(count: int) -> list[WeightChange]:
    return [change(f"svc{i}", 25) for i in range(count)]


def test_no_failure_raises_nothing() -> None:
    raise_first_failure(batch(3), {})


def test_the_first_failure_in_order_names_every_failed_service() -> None:
    first = TransientError("svc2 throttled", "aws.Throttling")
    failures: dict[int, Exception] = {
        i: PermanentError(f"svc{i} denied", "aws.AccessDenied") for i in (3, 5, 6, 7, 8, 9)
    }
    with pytest.raises(TransientError) as caught:
        raise_first_failure(batch(10), failures | {2: first})
    assert caught.value.message == (
        "7 of 10 services failed (shop/svc2, shop/svc3, shop/svc5, shop/svc6, shop/svc7 and 2 more); "
        "the first: svc2 throttled"
    )
    assert caught.value.kind == "aws.Throttling"
    assert caught.value.__cause__ is first


def test_a_permanent_first_failure_stays_permanent() -> None:
    with pytest.raises(PermanentError) as caught:
        raise_first_failure(batch(2), {1: PermanentError("svc1 denied", "aws.AccessDenied")})
    assert caught.value.kind == "aws.AccessDenied"
    assert caught.value.message == "1 of 2 services failed (shop/svc1); the first: svc1 denied"


def test_a_batch_of_one_raises_its_failure_as_it_is() -> None:
    failure = PermanentError("svc0 denied", "aws.AccessDenied")
    with pytest.raises(PermanentError) as caught:
        raise_first_failure(batch(1), {0: failure})
    assert caught.value is failure


def test_an_untranslated_failure_counts_as_transient() -> None:
    with pytest.raises(TransientError) as caught:
        raise_first_failure(batch(2), {0: ConnectionError("reset by peer")})
    assert caught.value.kind == "ConnectionError"
    assert caught.value.message == "1 of 2 services failed (shop/svc0); the first: reset by peer"
