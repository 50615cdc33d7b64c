"""Real servers for the data checks: a throwaway PostgreSQL cluster (Debian package `postgresql`) with
a `blue` and a `green` database, and the Prometheus of tests/prometheus scraping its exporter.

PostgreSQL refuses to run as root: run as root (CI, containers), the cluster belongs to the `postgres`
user the Debian package creates, in a folder of its own under the system's temporary directory (the
pytest folders of root are closed to other users); run as anyone else, it is that user's.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cutover.demo.local_servers import free_port
from tests.prometheus.conftest import HISTOGRAMS, TRAFFIC, running_prometheus

STARTUP_TIMEOUT = 120.0  # seconds: a slow machine's initdb and first start
ADMIN_PASSWORD = "admin-Pw-9f3c"
CHECKER = "checker"  # the role checks connect as: it reads, nothing more
CHECKER_PASSWORD = "s3cret-Pw-7a1e"
DATABASES = ("blue", "green")
SCHEMA = """
CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE replication_log (id bigserial PRIMARY KEY, applied_at timestamptz NOT NULL);
CREATE SEQUENCE order_numbers;
CREATE FUNCTION place_order() RETURNS bigint LANGUAGE sql AS
  $$ INSERT INTO orders (id) VALUES (1000000) RETURNING id $$;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO checker;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE order_numbers TO checker;
GRANT INSERT ON orders TO checker;
"""


@dataclass(frozen=True)
class Postgres:
    port: int

    def dsn(self, database: str, *, user: str = CHECKER, password: str = CHECKER_PASSWORD) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def execute(self, database: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run statement as the cluster's superuser (committed), returning its rows if any."""
        dsn = self.dsn(database, user="postgres", password=ADMIN_PASSWORD)
        with psycopg.connect(dsn, autocommit=True) as connection, connection.cursor() as cursor:
            cursor.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []


def postgres_binaries() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
    return Path(found[-1]).parent


def as_owner() -> dict[str, Any]:
    """subprocess arguments that run PostgreSQL as an unprivileged user: `postgres` when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "run as root, the tests need the `postgres` user (the Debian package makes it)"
        ) from None
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster on a free loopback port, its socket in its own folder, for this session."""
    binaries = postgres_binaries()
    owner = as_owner()
    folder = Path(tempfile.mkdtemp(prefix="cutover-postgres-"))
    data, sockets, log = folder / "data", folder / "sockets", folder / "postgres.log"
    sockets.mkdir()
    (folder / "password").write_text(ADMIN_PASSWORD + "\n")
    if owner:
        for path in (folder, sockets, folder / "password"):
            os.chown(path, owner["user"], owner["group"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(folder)}
    initdb = subprocess.run(
        [
            str(binaries / "initdb"),
            f"--pgdata={data}",
            "--username=postgres",
            f"--pwfile={folder / 'password'}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ],
        capture_output=True,
        env=env,
        cwd=folder,
        timeout=STARTUP_TIMEOUT,
        **owner,
    )
    if initdb.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed:\n{initdb.stderr.decode(errors='replace')[-2000:]}")
    port = free_port()
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                str(binaries / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            **owner,
        )
    server = Postgres(port)
    try:
        wait_until_ready(server, process, log)
        for database in DATABASES:
            server.execute("postgres", f"CREATE DATABASE {database}")
        server.execute("postgres", f"CREATE ROLE {CHECKER} LOGIN PASSWORD '{CHECKER_PASSWORD}'")
        for database in DATABASES:
            server.execute(database, SCHEMA)
        yield server
    finally:
        process.terminate()  # SIGTERM: smart shutdown; no client stays connected
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def wait_until_ready(server: Postgres, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            server.execute("postgres", "SELECT 1")
            return
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres did not start:\n{tail}") from None
            time.sleep(0.2)


@pytest.fixture
def databases(postgres: Postgres) -> Postgres:
    """blue and green alike: 1000 orders each, replication applied just now, the sequence at 1."""
    for database in DATABASES:
        postgres.execute(database, "TRUNCATE orders, replication_log")
        postgres.execute(database, "INSERT INTO orders (id) SELECT generate_series(1, 1000)")
        postgres.execute(database, "INSERT INTO replication_log (applied_at) VALUES (now())")
        postgres.execute(database, "ALTER SEQUENCE order_numbers RESTART")
    return postgres


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """tests/prometheus's Prometheus and exporter (its fixture is visible to that folder only)."""
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), TRAFFIC, HISTOGRAMS) as url:
        yield url
