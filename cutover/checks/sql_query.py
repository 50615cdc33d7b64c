"""SQL data checks (`kind: query`, `sql:`): one number read from blue's and green's databases.

The statement runs in each environment the check names, at the same time, in a read-only transaction
(BEGIN READ ONLY, rolled back) with a statement timeout, so a statement that would write (nextval(),
a function with side effects) is stopped by PostgreSQL even where the plan's validator let it through.
It must return exactly one row of one number (a count, a lag in seconds, a checksum as a number:
`('x' || left(md5(string_agg(...)), 15))::bit(60)::bigint`); anything else errs.

- `equal`: blue's and green's values are the same (compared exactly, so a bigint checksum counts);
- `within`: |green - blue| <= tolerance x |blue| (a relative difference, e.g. rows in flight);
- `at-most`: each environment named reads at most `at_most` (e.g. replication lag in seconds).

A value out of bounds fails; a database that cannot be reached or a statement PostgreSQL refuses errs
(the check could not tell). DSNs are secrets: a psycopg error is reported as its class and message,
with the DSN and any password in it cut out. psycopg 3, async, one connection per environment per run.
"""

import asyncio
import re
import time
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg import conninfo

from cutover.checks.results import CheckResult, CheckVerdict, found, one_line
from cutover.plan.checks import Side, SqlQuery

STATEMENT_TIMEOUT = 300.0  # seconds; the check's own timeout bounds the whole of it
CONNECT_TIMEOUT = 30.0
TINY = 1e-9  # within: the scale when blue reads 0 (then green must read 0 too)
PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
PASSWORD_PARAM = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
PASSWORD_QUERY = re.compile(r"([?&]password=)[^&\s]*", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """One environment's value, or why there is none."""

    side: Side
    value: Decimal | None
    problem: str | None = None


async def run_sql(
    name: str,
    query: SqlQuery,
    dsns: dict[Side, str],
    *,
    statement_timeout: float = STATEMENT_TIMEOUT,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> CheckResult:
    """Run `query.statement` in each of `query.environments` (DSNs resolved by the caller from the
    worker's platform config) and compare the values as `query.compare` says."""
    started = time.monotonic()
    readings = await asyncio.gather(
        *(
            _read(side, query.statement, dsns.get(side), statement_timeout, connect_timeout)
            for side in query.environments
        )
    )
    return _result(name, query, list(readings), time.monotonic() - started)


async def _read(
    side: Side, statement: str, dsn: str | None, statement_timeout: float, connect_timeout: float
) -> Reading:
    if dsn is None:
        return Reading(side, None, "no connection given for this environment")
    try:
        connection = await psycopg.AsyncConnection.connect(
            dsn, connect_timeout=max(1, round(connect_timeout)), autocommit=False
        )
    except psycopg.Error as error:
        return Reading(side, None, _scrubbed(error, dsn))
    try:
        await connection.set_read_only(True)  # BEGIN READ ONLY: PostgreSQL refuses any write
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT set_config('statement_timeout', %s, true)",
                (f"{max(1, round(statement_timeout * 1000))}",),
            )
            await cursor.execute(statement)  # the plan's text, validated there
            if cursor.description is None:
                return Reading(side, None, "the statement returned no result set")
            columns = len(cursor.description)
            kind = cursor.description[0].type_display  # the SQL type: numeric, text, timestamptz...
            rows = await cursor.fetchmany(2)
        return _reading(side, columns, kind, rows)
    except psycopg.Error as error:
        return Reading(side, None, _scrubbed(error, dsn))
    finally:
        try:
            await connection.rollback()  # never commit anything
        except psycopg.Error:
            pass
        await connection.close()


def _reading(side: Side, columns: int, kind: str, rows: list[tuple[object, ...]]) -> Reading:
    """The one number of one row of one column, or what the statement returned instead."""
    if columns != 1:
        return Reading(side, None, f"the statement returned {columns} columns; a check reads one number")
    if len(rows) != 1:
        count = "no rows" if not rows else "more than one row"
        return Reading(side, None, f"the statement returned {count}; a check reads one row")
    value = rows[0][0]
    if value is None:
        return Reading(side, None, "the statement returned NULL (nothing to measure?)")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return Reading(side, None, f"the statement returned {kind}, not a number")
    number = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    if not number.is_finite():
        return Reading(side, None, f"the statement returned {value}, not a finite number")
    return Reading(side, number)


def _scrubbed(error: psycopg.Error, dsn: str) -> str:
    """The error's class and message, one line, without the DSN or any password it holds."""
    message = str(error) or "no message"
    secrets = {dsn}
    try:
        password = conninfo.conninfo_to_dict(dsn).get("password")
    except psycopg.Error:
        password = None
    if password:
        secrets.add(str(password))
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "***")
    message = PASSWORD_IN_URL.sub(r"\1***@", message)
    message = PASSWORD_PARAM.sub(r"\1***", message)
    message = PASSWORD_QUERY.sub(r"\1***", message)
    return one_line(f"{type(error).__name__}: {message}", 240)


def _result(name: str, query: SqlQuery, readings: list[Reading], seconds: float) -> CheckResult:
    figures: dict[str, float] = {r.side: float(r.value) for r in readings if r.value is not None}
    broken = [r for r in readings if r.problem is not None]
    if broken:
        summary = "; ".join(f"{r.side}: {r.problem}" for r in broken)
        return _check(name, CheckVerdict.ERROR, summary, figures, seconds)
    values = {r.side: r.value for r in readings if r.value is not None}
    if query.compare == "at-most":
        assert query.at_most is not None, "the plan refuses at-most without at_most"
        bound = Decimal(repr(float(query.at_most)))
        figures["at_most"] = float(query.at_most)
        over = [side for side, value in values.items() if value > bound]
        shown = ", ".join(f"{side} {_shown(values[side])}" for side in values)
        if over:
            worst = ", ".join(f"{side} {_shown(values[side])}" for side in over)
            return _check(name, CheckVerdict.FAIL, f"{worst} > {query.at_most:g} (at most)", figures, seconds)
        return _check(name, CheckVerdict.PASS, f"{shown} <= {query.at_most:g} (at most)", figures, seconds)
    blue, green = values["blue"], values["green"]
    figures["difference"] = float(green - blue)
    if query.compare == "equal":
        if green == blue:
            return _check(
                name, CheckVerdict.PASS, f"blue and green both read {_shown(blue)}", figures, seconds
            )
        summary = f"green {_shown(green)} != blue {_shown(blue)} (expected equal)"
        return _check(name, CheckVerdict.FAIL, summary, figures, seconds)
    tolerance = float(query.tolerance)
    scale = max(abs(float(blue)), TINY)
    relative = abs(float(green - blue)) / scale
    figures["relative_difference"] = relative
    compared = f"green {_shown(green)} vs blue {_shown(blue)}: {_percent(relative)} apart"
    if abs(float(green - blue)) <= tolerance * scale:
        return _check(name, CheckVerdict.PASS, f"{compared}, within {_percent(tolerance)}", figures, seconds)
    return _check(name, CheckVerdict.FAIL, f"{compared}, more than {_percent(tolerance)}", figures, seconds)


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.3g}%"


def _shown(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{float(value):g}"


def _check(
    name: str, verdict: CheckVerdict, summary: str, figures: dict[str, float], seconds: float
) -> CheckResult:
    return found(name, "query", verdict, summary, seconds, figures)
