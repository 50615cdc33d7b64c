"""`kind: query` with SQL against a real PostgreSQL: a `blue` and a `green` database (tests/checks/
conftest.py), read by a role that could write, so only the read-only transaction stops a write."""

import asyncio
import time

import pytest

from cutover.checks.results import CheckResult, CheckVerdict
from cutover.checks.sql_query import run_sql
from cutover.demo.local_servers import free_port
from cutover.plan.checks import Side, SqlQuery
from cutover.platform.check_secrets import ChecksConfig
from cutover.platform.errors import PermanentError
from tests.checks.conftest import CHECKER_PASSWORD, Postgres

COUNT = "SELECT count(*) FROM orders"
LAG = "SELECT extract(epoch FROM now() - max(applied_at)) FROM replication_log"


def query(statement: str, **settings: object) -> SqlQuery:
    return SqlQuery.model_validate({"database": "orders", "statement": statement, **settings})


def both(server: Postgres) -> dict[Side, str]:
    return {"blue": server.dsn("blue"), "green": server.dsn("green")}


async def check(server: Postgres, statement: str, **settings: object) -> CheckResult:
    return await run_sql("orders-match", query(statement, **settings), both(server))


async def test_equal_counts_pass(databases: Postgres) -> None:
    result = await check(databases, COUNT)
    assert result.verdict is CheckVerdict.PASS, result.summary
    assert result.summary == "blue and green both read 1000"
    assert result.figures == {"blue": 1000, "green": 1000, "difference": 0}
    assert result.kind == "query" and result.check == "orders-match"


async def test_green_missing_rows_fails_equal_and_passes_within_tolerance(databases: Postgres) -> None:
    databases.execute("green", "DELETE FROM orders WHERE id > 995")
    equal = await check(databases, COUNT)
    assert equal.verdict is CheckVerdict.FAIL
    assert equal.summary == "green 995 != blue 1000 (expected equal)"
    assert equal.figures == {"blue": 1000, "green": 995, "difference": -5}
    within = await check(databases, COUNT, compare="within", tolerance=0.01)
    assert within.verdict is CheckVerdict.PASS, within.summary
    assert within.summary == "green 995 vs blue 1000: 0.5% apart, within 1%"
    assert within.figures["relative_difference"] == pytest.approx(0.005)
    too_far = await check(databases, COUNT, compare="within", tolerance=0.001)
    assert too_far.verdict is CheckVerdict.FAIL
    assert too_far.summary == "green 995 vs blue 1000: 0.5% apart, more than 0.1%"


async def test_a_bigint_checksum_is_compared_exactly(databases: Postgres) -> None:
    # 2**62 + 1 and 2**62 are the same float: equal compares the numbers PostgreSQL returned
    databases.execute("green", "UPDATE orders SET id = 4611686018427387905 WHERE id = 1000")
    databases.execute("blue", "UPDATE orders SET id = 4611686018427387904 WHERE id = 1000")
    result = await check(databases, "SELECT max(id) FROM orders")
    assert result.verdict is CheckVerdict.FAIL
    assert result.summary == "green 4611686018427387905 != blue 4611686018427387904 (expected equal)"


async def test_replication_lag_at_most(databases: Postgres) -> None:
    databases.execute("green", "INSERT INTO replication_log (applied_at) VALUES (now())")
    green_only = query(LAG, compare="at-most", at_most=600, environments=["green"])  # an hour fails
    fresh = await run_sql("lag", green_only, {"green": databases.dsn("green")})
    assert fresh.verdict is CheckVerdict.PASS, fresh.summary
    assert set(fresh.figures) == {"green", "at_most"} and 0 <= fresh.figures["green"] <= 600
    databases.execute("green", "TRUNCATE replication_log")
    databases.execute("green", "INSERT INTO replication_log (applied_at) VALUES (now() - interval '1 hour')")
    stale = await run_sql("lag", green_only, {"green": databases.dsn("green")})
    assert stale.verdict is CheckVerdict.FAIL
    assert stale.summary.startswith("green 3600") and stale.summary.endswith(" > 600 (at most)")


async def test_a_statement_that_writes_is_stopped_by_the_read_only_transaction(databases: Postgres) -> None:
    # the plan's validator sees reads only; PostgreSQL sees the writes
    for statement, stopped in [
        ("SELECT nextval('order_numbers')", "cannot execute nextval() in a read-only transaction"),
        ("SELECT place_order()", "cannot execute INSERT in a read-only transaction"),
    ]:
        result = await check(databases, statement)
        assert result.verdict is CheckVerdict.ERROR
        assert result.summary.startswith(f"blue: ReadOnlySqlTransaction: {stopped}"), result.summary
        assert f"; green: ReadOnlySqlTransaction: {stopped}" in result.summary
    # nor can the statement lift the read-only mode on its way
    lifted = await check(databases, "SELECT length(set_config('transaction_read_only', 'off', true))")
    assert lifted.summary.startswith(
        "blue: ActiveSqlTransaction: transaction read-write mode must be set before any query"
    )
    assert databases.execute("green", "SELECT count(*) FROM orders WHERE id = 1000000") == [(0,)]
    assert databases.execute("green", "SELECT last_value, is_called FROM order_numbers") == [(1, False)]


async def test_the_statement_timeout_stops_a_slow_statement(databases: Postgres) -> None:
    slow = query("SELECT count(*) FROM orders, pg_sleep(120)")
    result = await run_sql("slow", slow, both(databases), statement_timeout=0.5)
    assert result.verdict is CheckVerdict.ERROR
    assert "QueryCanceled: canceling statement due to statement timeout" in result.summary


async def test_a_cancelled_check_leaves_no_statement_running(databases: Postgres) -> None:
    slow = run_sql("slow", query("SELECT count(*) FROM pg_sleep(120)"), both(databases))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(slow, 1)  # an abort cancels the activity
    deadline = time.monotonic() + 60
    running = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'checker' AND state = 'active'"
    while databases.execute("postgres", running) != [(0,)]:
        assert time.monotonic() < deadline, "the cancelled statement still runs"
        await asyncio.sleep(0.2)


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("SELECT 1, 2", "the statement returned 2 columns; a check reads one number"),
        ("SELECT id FROM orders", "the statement returned more than one row; a check reads one row"),
        ("SELECT id FROM orders WHERE id < 0", "the statement returned no rows; a check reads one row"),
        ("SELECT 'abc'::text", "the statement returned text, not a number"),
        ("SELECT max(id) FROM orders WHERE id < 0", "the statement returned NULL (nothing to measure?)"),
        ("SELECT 'NaN'::numeric", "the statement returned NaN, not a finite number"),
        ("SELECT count(*) FROM no_such_table", 'UndefinedTable: relation "no_such_table" does not exist'),
    ],
)
async def test_anything_but_one_number_errs(databases: Postgres, statement: str, problem: str) -> None:
    result = await check(databases, statement)
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith(f"blue: {problem}"), result.summary


async def test_connection_problems_err_without_the_dsn_or_its_password(databases: Postgres) -> None:
    wrong = "Wr0ng-Pw-c0ffee"
    dsns: dict[Side, str] = {
        "blue": databases.dsn("blue", password=wrong),
        "green": f"postgresql://checker:{CHECKER_PASSWORD}@[127.0.0.1:{databases.port}/green",  # malformed
    }
    result = await run_sql("orders-match", query(COUNT), dsns)
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("blue: OperationalError: ")
    assert 'password authentication failed for user "checker"' in result.summary
    assert "; green: ProgrammingError: " in result.summary
    for secret in (wrong, CHECKER_PASSWORD, *dsns.values()):
        assert secret not in result.model_dump_json()


async def test_nobody_listening_errs(databases: Postgres) -> None:
    dsn = f"postgresql://checker:{CHECKER_PASSWORD}@127.0.0.1:{free_port()}/green"
    result = await run_sql("orders-match", query(COUNT), {"blue": databases.dsn("blue"), "green": dsn})
    assert result.verdict is CheckVerdict.ERROR
    assert result.summary.startswith("green: OperationalError: connection failed: ")
    assert CHECKER_PASSWORD not in result.model_dump_json()
    assert result.figures == {"blue": 1000}


async def test_dsns_come_from_the_worker_environment(
    databases: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ChecksConfig.model_validate(
        {"databases": {"orders": {"blue": databases.dsn("blue"), "green": "env:ORDERS_GREEN_DSN"}}}
    )
    monkeypatch.setenv("ORDERS_GREEN_DSN", databases.dsn("green"))
    dsns: dict[Side, str] = {side: config.dsn("orders", side) for side in ("blue", "green")}
    assert (await run_sql("orders-match", query(COUNT), dsns)).verdict is CheckVerdict.PASS


def test_a_connection_the_worker_lacks_is_permanent_and_named_without_a_value() -> None:
    config = ChecksConfig.model_validate(
        {
            "databases": {
                "orders": {"blue": "postgresql://u:hunter2@db/orders", "green": "env:NOT_SET_ANYWHERE"}
            }
        }
    )
    with pytest.raises(PermanentError) as caught:
        config.dsn("orders", "green")
    assert (
        str(caught.value)
        == "checks.databases.orders.green: NOT_SET_ANYWHERE is not set in the worker's environment"
    )
    with pytest.raises(
        PermanentError, match="^checks.databases: the worker's platform config has no 'billing'$"
    ):
        config.dsn("billing", "green")
    green_only = ChecksConfig.model_validate({"databases": {"orders": {"green": "host=db"}}})
    with pytest.raises(
        PermanentError, match="^checks.databases.orders.blue: the worker's platform config has no"
    ):
        green_only.dsn("orders", "blue")
    assert "hunter2" not in repr(caught.value)
