"""The plan's checks: what each kind needs, and the bad input it refuses with the field named."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from cutover.checks.load_judgement import ALPHA, min_samples_to_bound
from cutover.cli.main import cli
from cutover.plan.checks import MIN_RATIO_REQUESTS, Check, OnFail, Stage, check_problems
from cutover.plan.model import validation_problems
from tests.plan.plans import changed

TARGETS = {"blue": "http://blue.shop.internal:8080", "green": "http://green.shop.internal:8080"}


def check(**fields: Any) -> dict[str, Any]:
    return {"name": "smoke", "kind": "http", "stages": ["final"], **fields}


HTTP: dict[str, Any] = {"http": {"targets": TARGETS, "requests": [{"path": "/health"}]}}
LOAD_SETTINGS: dict[str, Any] = {
    "targets": TARGETS,
    "environments": ["blue", "green"],
    "rate": 200,
    "duration": "60s",
}
LOAD: dict[str, Any] = {"kind": "load", "load": LOAD_SETTINGS}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Check.model_validate(data)
    return validation_problems(caught.value)


def test_every_kind_parses_and_round_trips() -> None:
    kinds = [
        check(**HTTP),
        check(**{**LOAD, "load": {**LOAD_SETTINGS, "expect": {"max_p99_ratio": 1.2}}}),
        check(kind="job", job={"namespace": "shop", "template": "cronjob/e2e-suite"}),
        check(kind="webhook", webhook={"endpoint": "ci", "wait_for_callback": True}),
        check(kind="query", query={"prometheus": {"expr": "sum(rate(errors[5m])) < 1"}}),
        check(
            kind="query",
            stages=["traffic-step", "monitoring"],
            continuous=True,
            query={
                "sql": {
                    "database": "orders",
                    "statement": "SELECT extract(epoch FROM now() - max(applied_at)) FROM replication_log",
                    "compare": "at-most",
                    "at_most": 5,
                    "environments": ["green"],
                }
            },
        ),
    ]
    for data in kinds:
        parsed = Check.model_validate(data)
        assert Check.model_validate(parsed.model_dump(mode="json")) == parsed
        assert parsed.on_fail is OnFail.ROLLBACK


def test_runs_at_its_stages_and_named_weights_only() -> None:
    parsed = Check.model_validate(check(stages=["traffic-step", "final"], weights=[25], **HTTP))
    assert parsed.runs_at(Stage.TRAFFIC_STEP, 25) and parsed.runs_at(Stage.FINAL)
    assert not parsed.runs_at(Stage.TRAFFIC_STEP, 50) and not parsed.runs_at(Stage.VALIDATION)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (check(stages=["launch"], **HTTP), "stages[0]: Input should be 'preparation', "),
        (check(kind="ping", **HTTP), "kind: Input should be 'load', 'http', 'job', 'webhook' or 'query'"),
        (check(), "plan: http: needed for a check of kind http"),
        (
            check(**HTTP, job={"namespace": "a", "template": "cronjob/b"}),
            "plan: job: this check is kind http",
        ),
        (
            check(http={"targets": {"blue": TARGETS["blue"]}, "requests": [{}]}),
            "http: targets.green: needed, since environments lists green",
        ),
        (
            check(http={"targets": {"green": "https://user:pw@green.example"}, "requests": [{}]}),
            "http.targets.green: must not carry a user or password",
        ),
        (
            check(http={"targets": {"green": "https://green.example/?api_key=abc"}, "requests": [{}]}),
            "http.targets.green: must not carry a secret in its query",
        ),
        (
            check(http={"targets": TARGETS, "requests": [{"headers": {"Authorization": "Bearer x"}}]}),
            "http.requests[0].headers: Authorization is a secret",
        ),
        (
            check(**{**LOAD, "load": {**LOAD_SETTINGS, "rate": 5000, "duration": "1h"}}),
            "load: rate x duration is 18,000,000 requests; a load may send 10,000,000",
        ),
        (
            check(**{**LOAD, "load": {**LOAD_SETTINGS, "rate": 50_000}}),
            "load.rate: Input should be less than",
        ),
        (
            check(
                **{
                    **LOAD,
                    "load": {**LOAD_SETTINGS, "environments": ["green"], "expect": {"max_p99_ratio": 2}},
                }
            ),
            "load: expect: comparing green with blue needs environments [blue, green]",
        ),
        (
            check(kind="query", query={"sql": {"database": "orders", "statement": "DELETE FROM orders"}}),
            "query.sql.statement: must be a read-only SELECT (or WITH ... SELECT)",
        ),
        (
            check(kind="query", query={"sql": {"database": "o", "statement": "SELECT 1; DROP TABLE orders"}}),
            "query.sql.statement: must be a single statement",
        ),
        (
            check(
                kind="query", query={"sql": {"database": "o", "statement": "SELECT * INTO copy FROM orders"}}
            ),
            "query.sql.statement: must be a read-only SELECT: INTO is not allowed",
        ),
        (
            check(
                kind="query", query={"sql": {"database": "postgres://u:p@db/orders", "statement": "SELECT 1"}}
            ),
            "query.sql.database: must be a DNS label",
        ),
        (check(weights=[25], **HTTP), "plan: weights: only with the traffic-step stage"),
        (
            check(
                kind="job",
                continuous=True,
                stages=["monitoring"],
                job={"namespace": "a", "template": "cronjob/b"},
            ),
            "plan: continuous: only http and query checks run at each look, not job",
        ),
        (check(kind="job", job={"namespace": "a"}), "job: give exactly one of template"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(data: dict[str, Any], problem: str) -> None:
    found = problems(data)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_names_are_unique_and_weights_are_steps() -> None:
    checks = [
        Check.model_validate(check(**HTTP)),
        Check.model_validate(check(stages=["traffic-step"], weights=[30], **HTTP)),
    ]
    assert check_problems(checks, [5, 25, 100]) == [
        "checks[1].name: 'smoke' is already the name of checks[0]",
        "checks[1].weights: 30 is not one of traffic.steps [5, 25, 100]",
    ]


def test_a_p99_ratio_needs_enough_requests_to_judge_blues_p99() -> None:
    load = {
        "targets": {"blue": "http://blue.shop.internal", "green": "http://green.shop.internal"},
        "environments": ["blue", "green"],
        "rate": 50,
        "duration": "10s",
        "expect": {"max_p99_ratio": 2},
    }
    with pytest.raises(ValidationError) as refused:
        Check.model_validate(check(kind="load", load=load))
    assert "expect.max_p99_ratio: judging a p99 takes at least 600 requests per environment" in str(
        refused.value
    )
    assert Check.model_validate(check(kind="load", load=load | {"duration": "12s"})).load
    assert MIN_RATIO_REQUESTS >= min_samples_to_bound(0.99, ALPHA / 2)


def test_validate_lists_the_checks_and_refuses_a_secret_with_the_field_and_exit_2(tmp_path: Path) -> None:
    data = changed("checks", [check(stages=["validation", "traffic-step"], weights=[25], **HTTP)])
    data["traffic"]["steps"] = [25, 75, 100]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    validated = CliRunner().invoke(cli, ["plan", "validate", str(path)])
    assert validated.exit_code == 0, validated.output
    assert "check smoke (http) at validation, traffic-step at 25%: on fail rollback" in validated.output
    data["checks"][0]["http"]["targets"]["green"] = "https://ops:hunter2@green.shop.internal"
    path.write_text(yaml.safe_dump(data))
    refused = CliRunner().invoke(cli, ["plan", "validate", str(path)])
    assert refused.exit_code == 2
    assert "checks[0].http.targets.green: must not carry a user or password" in refused.output
    assert "hunter2" not in refused.output


def test_continuous_checks_run_at_each_look_of_their_stages() -> None:
    lag = check(
        kind="query", stages=["monitoring"], continuous=True, query={"prometheus": {"expr": "up == 1"}}
    )
    assert check_problems([Check.model_validate(lag)], [100]) == []


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT count(*) FROM orders WHERE status = 'do not ship; update later'",
        'SELECT "comment", "set" FROM notes -- insert nothing',
        "WITH recent AS (SELECT * FROM orders /* for update */) SELECT count(*) FROM recent",
    ],
)
def test_quoted_text_and_comments_are_not_read_as_writes(statement: str) -> None:
    sql = {"database": "orders", "statement": statement}
    assert Check.model_validate(check(kind="query", query={"sql": sql})).query is not None


@pytest.mark.parametrize(
    ("statement", "word"),
    [
        ("WITH gone AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM gone", "DELETE"),
        ("SELECT * FROM orders FOR UPDATE", "FOR UPDATE"),
        ("SELECT id INTO backup FROM orders", "INTO"),
    ],
)
def test_writes_inside_a_select_are_refused(statement: str, word: str) -> None:
    found = problems(check(kind="query", query={"sql": {"database": "orders", "statement": statement}}))
    assert found == [f"query.sql.statement: must be a read-only SELECT: {word} is not allowed"]
