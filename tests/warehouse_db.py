"""The warehouse backends the tests load into: DuckDB in a temp file, and a real, throw-away PostgreSQL
cluster started once per test session. The fixtures are registered in tests/conftest.py, so every test
module shares the one cluster (a module importing them itself would start its own)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg
import pytest

from pipelines.warehouse import load

# --- a real PostgreSQL ----------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port>; yields a function making a fresh DSN.

    PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the `postgres` user
    (runuser, else su) in a temp directory owned by that user.
    """
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries not found (no initdb on PATH or in /usr/lib/postgresql/*/bin)"
        )
    as_user: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="blpg-"))  # short: the socket path must fit in 107 bytes
    if os.geteuid() == 0:
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run PostgreSQL as")
        os.chown(tmp, pg.pw_uid, pg.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"] if shutil.which("runuser") else None

    def run(*command: str) -> subprocess.CompletedProcess:
        if as_user is None:  # root without runuser
            import shlex

            return subprocess.run(
                ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)],
                capture_output=True,
                text=True,
                timeout=60,
            )
        return subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=60)

    data, port = tmp / "data", _free_port()
    done = run(
        str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
    )
    assert done.returncode == 0, f"initdb failed:\n{done.stdout}\n{done.stderr}"
    options = (
        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    done = run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(tmp / "log"),
        "-w",
        "-t",
        "30",
        "-o",
        options,
        "start",
    )
    log = (tmp / "log").read_text(errors="replace") if (tmp / "log").exists() else ""
    assert done.returncode == 0, f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{log}"
    admin = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    counter = iter(range(1, 1_000_000))

    def fresh_database() -> str:
        name = f"test_{next(counter)}"
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        return f"host=127.0.0.1 port={port} user=postgres dbname={name}"

    try:
        yield fresh_database
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Warehouse:
    """One backend under test: how to load into it and how to query it."""

    kind: str
    where: str
    args: list[str] = field(default_factory=list)

    def load(self, output_dir: Path, *extra: str) -> int:
        return load.main([str(output_dir), *self.args, *extra])

    def query(self, sql: str) -> list[tuple]:
        if self.kind == "duckdb":
            with duckdb.connect(self.where, read_only=True) as con:
                rows = con.execute(sql).fetchall()
        else:
            with psycopg.connect(self.where) as con:
                rows = con.execute(sql).fetchall()
        return [tuple(_naive(v) for v in row) for row in rows]

    def count(self, table: str) -> int:
        return self.query(f"SELECT count(*) FROM {table}")[0][0]


def _naive(value):
    """Timestamps compared as naive UTC (DuckDB TIMESTAMP vs PostgreSQL timestamptz)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, tmp_path):
    if request.param == "duckdb":
        path = str(tmp_path / "wh.duckdb")
        return Warehouse("duckdb", path, ["--duckdb", path])
    dsn = request.getfixturevalue("postgres_server")()
    return Warehouse("postgres", dsn, ["--postgres", dsn])
