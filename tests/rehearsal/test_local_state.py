"""The local environment's state file: version 1, checked at load, bookkeeping filled in."""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from cutover.demo.seed import BLUE, GREEN, demo_state
from cutover.models import ServiceRef, WeightChange, WorkloadKind
from cutover.platform.errors import PermanentError
from cutover.platform.local import InvalidLocalState, LocalEnvironment
from cutover.platform.local_state import VERSION

DIGEST = hashlib.sha256(b"EUR").hexdigest()


def hand_written() -> dict[str, Any]:
    """What a person writes: no version, none of the bookkeeping lists."""
    return {
        "blue": "eks",
        "clusters": {
            "eks": {
                "shop/deployment/checkout": {"replicas": 3, "image": "checkout:7", "exposed": True},
                "shop/cronjob/nightly": {"schedule": "0 2 * * *"},
                "shop/configmap/settings": {"data": {"CURRENCY": DIGEST}},
            },
            "fargate": {"shop/configmap/settings": {"data": {"CURRENCY": DIGEST}}},
        },
    }


def change(percent: int) -> WeightChange:
    return WeightChange(
        service="checkout", namespace="shop", blue_env="eks", green_env="fargate", green_percent=percent
    )


def written(tmp_path: Path, state: object) -> LocalEnvironment:
    path = tmp_path / "local-env.json"
    path.write_text(json.dumps(state))
    return LocalEnvironment(path)


def refusal(tmp_path: Path, state: object) -> str:
    with pytest.raises(InvalidLocalState) as refused:
        written(tmp_path, state).read()
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "local-env.json") + ": ")
    return message.split(": ", 1)[1]


def test_a_hand_written_file_without_bookkeeping_takes_every_change(tmp_path: Path) -> None:
    """The issue's file: it once failed on KeyError: 'operations' and left its rollback stuck."""
    local = written(tmp_path, hand_written())
    ref = ServiceRef(
        env="fargate",
        service="checkout",
        namespace="shop",
        kind=WorkloadKind.DEPLOYMENT,
        name="checkout",
        replicas=3,
        image="checkout:7",
    )
    local.apply_copy(ref)
    local.set_green_percents([change(25)])
    local.start_check_job("fargate", "shop", "smoke", None, None, {})
    local.remove_copy("fargate", "shop", "deployment", "checkout")
    state = local.read()
    assert state["version"] == VERSION
    assert [op["op"] for op in state["operations"]] == ["apply", "route", "start-job", "remove"]
    assert local.green_percent("shop", "checkout") == 25


def test_the_demo_file_from_before_versions_loads_as_version_1(tmp_path: Path) -> None:
    state = demo_state()
    del state["version"]
    assert written(tmp_path, state).read()["version"] == 1


def test_a_file_from_before_cron_changes_were_recorded_alone_keeps_its_last_moment(tmp_path: Path) -> None:
    state = demo_state()
    del state["cron_enabled"]
    state["cron_history"] = [{"billing/cronjob/a": ["eks"]}, {"billing/cronjob/a": ["eks-fargate"]}]
    assert written(tmp_path, state).read()["cron_enabled"] == {"billing/cronjob/a": ["eks-fargate"]}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda s: s["clusters"]["eks"]["shop/deployment/checkout"].update(replicas=-1),
            "clusters.eks[shop/deployment/checkout].replicas: Input should be greater than or equal to 0",
        ),
        (
            lambda s: s["clusters"]["eks"]["shop/deployment/checkout"].update(replica=2),
            "clusters.eks[shop/deployment/checkout].replica: unknown field",
        ),
        (
            lambda s: s["clusters"]["eks"]["shop/configmap/settings"]["data"].update(TOKEN="hunter2"),
            "clusters.eks[shop/configmap/settings].data: TOKEN: must be a sha256 hex digest",
        ),
        (lambda s: s.update(version=2), "version: Input should be 1"),
        (lambda s: s.update(operation=[]), "operation: unknown field"),
        (lambda s: s.update(blue="gke"), "blue: 'gke' is not one of clusters"),
        (lambda s: s.pop("blue"), "blue: required"),
        (
            lambda s: s.update(routes={"shop/checkout": 120}),
            "routes: shop/checkout: green's percent must be 0..100, got 120",
        ),
        (
            lambda s: s["clusters"]["eks"].update({"shop/job/x": {}}),
            "clusters.eks[shop/job/x]: kind 'job' is not one of",
        ),
        (lambda s: s["failures"].update(router_dow=True), "failures.router_dow: unknown field"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_field(tmp_path: Path, change: Any, problem: str) -> None:
    state = hand_written()
    state["failures"] = {}
    change(state)
    message = refusal(tmp_path, state)
    assert message.startswith(problem), message


def test_a_secret_value_in_place_of_a_digest_never_shows_in_the_refusal(tmp_path: Path) -> None:
    state = hand_written()
    state["clusters"]["eks"]["shop/configmap/settings"]["data"]["PASSWORD"] = "correct horse battery"
    assert "correct horse" not in refusal(tmp_path, state)


def test_a_file_changed_by_another_hand_is_checked_again(tmp_path: Path) -> None:
    local = written(tmp_path, hand_written())
    assert local.read()["blue"] == "eks"
    bad = hand_written()
    bad["clusters"]["eks"]["shop/deployment/checkout"]["replicas"] = "three"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(bad))
    os.replace(other, local.path)
    with pytest.raises(InvalidLocalState, match=r"replicas: Input should be a valid integer"):
        local.green_percent("shop", "checkout")


def test_a_bad_file_is_a_permanent_error_for_the_activities(tmp_path: Path) -> None:
    """Activities turn a PermanentError into a failure no retry repeats: one line, not a KeyError."""
    state = hand_written()
    state["clusters"]["eks"]["shop/deployment/checkout"]["exposed"] = "yes please"
    local = written(tmp_path, state)
    with pytest.raises(PermanentError) as refused:
        local.set_green_percents([change(2)])
    assert refused.value.kind == "local.InvalidState"


def test_create_refuses_a_bad_state_before_writing_it(tmp_path: Path) -> None:
    state = demo_state()
    state["clusters"][GREEN]["shop/secret/payments-api"]["data"]["API_KEY"] = "plain"
    local = LocalEnvironment(tmp_path / "local-env.json")
    with pytest.raises(InvalidLocalState, match="API_KEY: must be a sha256 hex digest"):
        local.create(state)
    assert not local.path.exists()


def test_not_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "local-env.json"
    path.write_text('{"blue": "eks",')
    with pytest.raises(InvalidLocalState, match=r"local-env.json: not JSON"):
        LocalEnvironment(path).read()


def test_what_the_environment_writes_it_reads_back_unchanged(tmp_path: Path) -> None:
    local = LocalEnvironment(tmp_path / "local-env.json")
    local.create(demo_state())
    local.set_green_percents([change(2)])
    fresh = LocalEnvironment(local.path).read()  # another process: checks it as a whole
    assert fresh == local.read()
    assert fresh["blue"] == BLUE
