"""PostgreSQL backend (psycopg 3): rows are COPYed into a temporary staging table, then upserted with
INSERT ... ON CONFLICT (record_id, crawl_id) DO UPDATE, all in one transaction per record type.
Concurrent loaders into one database are serialised by a session advisory lock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import psycopg
from psycopg.types.json import Jsonb

from backlink_spider.schemas import FieldSpec
from pipelines.warehouse import KEY, VIEWS, LoadedFile, SqlStore, quote, upsert_sql, view_statements

_TYPES = {
    "string": "text",
    "integer": "bigint",
    "boolean": "boolean",
    "number": "double precision",
    "timestamp": "timestamptz",
    "object": "jsonb",
}
_LOCK_KEY = 0x6261636B6C696E6B  # "backlink"


def column_type(spec: FieldSpec) -> str:
    if spec.kind == "array":
        return _TYPES[spec.item_kind or "string"] + "[]"
    return _TYPES[spec.scalar_kind]


class PostgresStore(SqlStore):
    name = "postgres"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.con = psycopg.connect(dsn, autocommit=True)
        self.con.execute("SET TIME ZONE 'UTC'")
        self.con.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])

    def __repr__(self) -> str:
        info = self.con.info
        return f"postgres:{info.user}@{info.host}:{info.port}/{info.dbname}"

    def close(self) -> None:
        try:
            self.con.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])
        finally:
            self.con.close()

    # --- schema -----------------------------------------------------------------------------

    def ensure_tables(self, tables: dict[str, list[FieldSpec]]) -> list[str]:
        """Create missing tables, add columns new fields need. Returns notes on what changed."""
        notes = []
        with self.con.transaction():
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS loaded_files (path text PRIMARY KEY, record_type text, "
                "size bigint, mtime double precision, rows bigint, bad_lines bigint, loaded_at timestamptz)"
            )
            for table, specs in tables.items():
                columns = ", ".join(f"{quote(s.name)} {column_type(s)}" for s in specs)
                key = ", ".join(quote(c) for c in KEY)
                self.con.execute(
                    f"CREATE TABLE IF NOT EXISTS {quote(table)} ({columns}, PRIMARY KEY ({key}))"
                )
                existing = {
                    row[0]
                    for row in self.con.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = %s AND table_schema = current_schema()",
                        [table],
                    ).fetchall()
                }
                for spec in specs:
                    if spec.name not in existing:
                        self.con.execute(
                            f"ALTER TABLE {quote(table)} ADD COLUMN {quote(spec.name)} {column_type(spec)}"
                        )
                        notes.append(f"added column {table}.{spec.name}")
        return notes

    def create_views(self) -> None:
        statements = view_statements()
        try:
            with self.con.transaction():
                for statement in statements:
                    self.con.execute(statement)
        except psycopg.errors.InvalidTableDefinition:
            # CREATE OR REPLACE cannot rename or retype a view's columns: recreate them all.
            with self.con.transaction():
                for view in reversed(VIEWS):
                    self.con.execute(f"DROP VIEW IF EXISTS {quote(view)}")
                for statement in statements:
                    self.con.execute(statement)

    def replace_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join("%s" for _ in columns)
        with self.con.transaction():
            self.con.execute(f"DELETE FROM {quote(table)}")
            with self.con.cursor() as cur:
                cur.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)

    # --- loading ----------------------------------------------------------------------------

    def load(
        self, table: str, specs: Sequence[FieldSpec], rows: Iterable[tuple], files: list[LoadedFile]
    ) -> int:
        """Upsert `rows` (values in `specs` order, then a sequence number; consumed fully) and record
        `files` (filled in while `rows` is consumed), in one transaction. Returns rows upserted."""
        names = [s.name for s in specs]
        objects = [i for i, s in enumerate(specs) if s.kind == "object"]
        loaded = 0
        with self.con.transaction():
            self.con.execute(
                f"CREATE TEMP TABLE stage ON COMMIT DROP AS SELECT * FROM {quote(table)} WITH NO DATA"
            )
            self.con.execute("ALTER TABLE stage ADD COLUMN _seq bigint")
            columns = ", ".join(quote(n) for n in [*names, "_seq"])
            with self.con.cursor() as cur:
                with cur.copy(f"COPY stage ({columns}) FROM STDIN") as copy:
                    copy.set_types([column_type(s) for s in specs] + ["bigint"])
                    for row in rows:
                        if objects:
                            row = list(row)
                            for i in objects:
                                if row[i] is not None:
                                    row[i] = Jsonb(row[i])
                        copy.write_row(row)
            loaded = self.con.execute(
                "SELECT count(*) FROM (SELECT DISTINCT record_id, crawl_id FROM stage) s"
            ).fetchone()[0]
            if loaded:
                self.con.execute(upsert_sql(table, names, "stage"))
            now = datetime.now(UTC)
            with self.con.cursor() as cur:
                cur.executemany(
                    "INSERT INTO loaded_files (path, record_type, size, mtime, rows, bad_lines, loaded_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (path) DO UPDATE SET "
                    "record_type = excluded.record_type, size = excluded.size, mtime = excluded.mtime, "
                    "rows = excluded.rows, bad_lines = excluded.bad_lines, loaded_at = excluded.loaded_at",
                    [(f.path, f.record_type, f.size, f.mtime, f.rows, f.bad_lines, now) for f in files],
                )
        return loaded
