"""The warehouse side: load the crawler's JSONL output into DuckDB and/or PostgreSQL.

    backlinks-load [OUTPUT_DIR] [--duckdb PATH] [--postgres DSN] [--types page,backlink,...]

One table per record type in `backlink_spider.records.RECORD_TYPES`, its columns derived from the
dataclass fields and type hints (`backlink_spider.schemas.record_fields`), primary key
(record_id, crawl_id); a `loaded_files` bookkeeping table; and the views in `views.sql`
(crawls, outreach_queue, referring_domains, link_changes). See `load.py` for the loading rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from backlink_spider.records import RECORD_TYPES
from backlink_spider.schemas import FieldSpec, record_fields

KEY = ("record_id", "crawl_id")
VIEWS = (  # in dependency order
    "crawls",
    "outreach_queue",
    "domain_links",
    "referring_domains",
    "sitewide_backlinks",
    "link_changes",
)
# package data (pyproject.toml), read through importlib.resources: works from a wheel or an egg too
VIEWS_SQL = resources.files(__package__).joinpath("views.sql")


@dataclass
class LoadedFile:
    """A JSONL file read in this run (recorded in `loaded_files` when its rows are committed)."""

    path: str
    record_type: str
    size: int
    mtime: float
    rows: int = 0
    bad_lines: int = 0


def table_specs() -> dict[str, list[FieldSpec]]:
    """Every record type's columns, in field order."""
    return {record_type: record_fields(cls) for record_type, cls in RECORD_TYPES.items()}


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (valid in DuckDB and PostgreSQL)."""
    return '"' + identifier.replace('"', '""') + '"'


# Records that do not make a crawl: a recheck's link statuses and every run's summary.
MONITORING_TYPES = frozenset({"link_status", "summary"})


def _crawl_target(record_type: str) -> str:
    """The column that says which target's crawl a record belongs to."""
    if "main_target" in {spec.name for spec in table_specs()[record_type]}:
        return "coalesce(main_target, target)"
    return "target"


def view_statements() -> list[str]:
    """The CREATE OR REPLACE VIEW statements, in dependency order."""
    # Only discovery crawls (`mentions`) define the crawl sequence: a `recheck` run writes
    # link_status records only and must not look like a crawl that lost every link.
    # A competitor's records (`-a competitors=`) belong to the crawl of its main target: they must
    # not make a crawl of the competitor's host.
    crawl_records = "\nUNION ALL\n".join(
        f"SELECT {_crawl_target(record_type)} AS target, crawl_id, crawled_at FROM {quote(record_type)}"
        for record_type in sorted(RECORD_TYPES)
        if record_type not in MONITORING_TYPES
    )
    statements, current = [], []
    for line in VIEWS_SQL.read_text(encoding="utf-8").splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("--")):
            continue
        current.append(crawl_records if line.strip() == "{crawl_records}" else line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip().rstrip(";"))
            current = []
    if current:
        statements.append("\n".join(current))
    return statements


def upsert_sql(table: str, columns: list[str], stage: str) -> str:
    """INSERT the latest staged row of each (record_id, crawl_id); on conflict, update the row."""
    cols = ", ".join(quote(c) for c in columns)
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in KEY)
    key = ", ".join(quote(c) for c in KEY)
    return (
        f"INSERT INTO {quote(table)} ({cols}) "
        f"SELECT {cols} FROM (SELECT DISTINCT ON ({key}) * FROM {stage} ORDER BY {key}, _seq DESC) AS latest "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


class SqlStore:
    """What the DuckDB and PostgreSQL stores share (both have a DB-API-like `con.execute`)."""

    con: Any

    def loaded_files(self) -> dict[str, tuple[int, float]]:
        return {
            path: (size, mtime)
            for path, size, mtime in self.con.execute("SELECT path, size, mtime FROM loaded_files").fetchall()
        }

    def count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]

    def execute_all(self, statements: list[str]) -> None:
        for statement in statements:
            self.con.execute(statement)

    def replace_rows(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Replace a derived table's rows (domain_authority) in one transaction."""
        raise NotImplementedError
