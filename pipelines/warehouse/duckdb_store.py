"""DuckDB backend: cleaned rows are staged through a temporary JSONL file read with `read_json`
(explicit column types), then upserted with INSERT ... ON CONFLICT (record_id, crawl_id) DO UPDATE."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson

from backlink_spider.schemas import FieldSpec
from pipelines.warehouse import KEY, LoadedFile, SqlStore, quote, upsert_sql, view_statements

_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "number": "DOUBLE",
    "timestamp": "TIMESTAMP",
    "object": "JSON",
}


def column_type(spec: FieldSpec) -> str:
    if spec.kind == "array":
        return _TYPES[spec.item_kind or "string"] + "[]"
    return _TYPES[spec.scalar_kind]


def _naive_utc(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


class DuckDBStore(SqlStore):
    name = "duckdb"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path))
        self.con.execute("SET TimeZone = 'UTC'")

    def __repr__(self) -> str:
        return f"duckdb:{self.path}"

    def close(self) -> None:
        self.con.close()

    # --- schema -----------------------------------------------------------------------------

    def ensure_tables(self, tables: dict[str, list[FieldSpec]]) -> list[str]:
        """Create missing tables, add columns new fields need. Returns notes on what changed."""
        notes = []
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS loaded_files (path VARCHAR PRIMARY KEY, record_type VARCHAR, "
            "size BIGINT, mtime DOUBLE, rows BIGINT, bad_lines BIGINT, loaded_at TIMESTAMP)"
        )
        for table, specs in tables.items():
            columns = ", ".join(f"{quote(s.name)} {column_type(s)}" for s in specs)
            key = ", ".join(quote(c) for c in KEY)
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {quote(table)} ({columns}, PRIMARY KEY ({key}))")
            existing = {
                row[0]
                for row in self.con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = ? AND table_schema = current_schema()",
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
        for statement in view_statements():
            self.con.execute(statement)

    def replace_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        names = ", ".join(quote(c) for c in columns)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"DELETE FROM {quote(table)}")
            if rows:
                marks = ", ".join("?" for _ in columns)
                self.con.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    # --- loading ----------------------------------------------------------------------------

    def load(
        self, table: str, specs: Sequence[FieldSpec], rows: Iterable[tuple], files: list[LoadedFile]
    ) -> int:
        """Upsert `rows` (values in `specs` order, then a sequence number; consumed fully) and record
        `files` (filled in while `rows` is consumed), in one transaction. Returns rows upserted."""
        names = [s.name for s in specs]
        timestamps = [i for i, s in enumerate(specs) if s.timestamp]
        with tempfile.TemporaryDirectory(prefix="backlinks-load-") as tmp:
            staged = Path(tmp, "stage.jsonl")
            count = 0
            with open(staged, "wb") as out:
                for row in rows:
                    values = list(row)
                    for i in timestamps:
                        if values[i] is not None:
                            values[i] = _naive_utc(values[i])
                    record = dict(zip(names, values, strict=False))
                    record["_seq"] = values[-1]
                    out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
                    count += 1
            self.con.execute("BEGIN TRANSACTION")
            try:
                loaded = 0
                if count:
                    types = {s.name: column_type(s) for s in specs} | {"_seq": "BIGINT"}
                    columns = "{" + ", ".join(f"{quote(n)}: '{t}'" for n, t in types.items()) + "}"
                    self.con.execute("DROP TABLE IF EXISTS temp.stage")
                    self.con.execute(
                        "CREATE TEMP TABLE stage AS SELECT * FROM read_json(?, format = 'newline_delimited', "
                        f"columns = {columns}, maximum_object_size = 268435456)",
                        [str(staged)],
                    )
                    loaded = self.con.execute(
                        "SELECT count(*) FROM (SELECT DISTINCT record_id, crawl_id FROM temp.stage)"
                    ).fetchone()[0]
                    self.con.execute(upsert_sql(table, names, "temp.stage"))
                    self.con.execute("DROP TABLE temp.stage")
                now = datetime.now(UTC).replace(tzinfo=None)
                for f in files:
                    self.con.execute(
                        "INSERT OR REPLACE INTO loaded_files VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [f.path, f.record_type, f.size, f.mtime, f.rows, f.bad_lines, now],
                    )
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        return loaded
