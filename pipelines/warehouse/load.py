"""`backlinks-load`: load the crawler's JSONL output into DuckDB and/or PostgreSQL, idempotently.

    backlinks-load [OUTPUT_DIR] [--duckdb PATH] [--postgres DSN] [--types page,backlink,...]
        [--write-domain-authority FILE]

* OUTPUT_DIR (default `output`) holds `<type>/dt=YYYY-MM-DD/<crawl_id>-<part>.jsonl`; hidden files
  (`.*.partial`: parts still being written) are ignored, as are directories that are not a record type.
* DuckDB is loaded at `--duckdb PATH` (default OUTPUT_DIR/warehouse.duckdb) unless only `--postgres`
  is given; give both to load both.
* One table per record type (all of RECORD_TYPES are created, so the views always exist; `--types`
  limits what is loaded), primary key (record_id, crawl_id): a record seen in two crawls is two rows,
  the same record of the same crawl (loaded twice, or in two files) is one row, the last one read.
* A file already in `loaded_files` with the same size and mtime is skipped; a changed file is re-read
  and its rows upserted. Each type's new rows and its `loaded_files` entries commit together.
* An empty string in a timestamp field is NULL.
* A malformed line (bad JSON, not an object, no record_id/crawl_id, a value of the wrong type, another
  record type) is reported as `path:line: reason` on stderr, counted and skipped. A missing field is
  NULL (older files lack `target`); unknown fields are ignored (reported once per file).
* After loading, the `domain_authority` table is recomputed from the `domain_links` view (PageRank
  over every crawl held, pipelines/warehouse/authority.py); `--write-domain-authority FILE` writes
  it as the CSV a crawl reads with DOMAIN_AUTHORITY_FILE.
* Exit status: 0 done (also with skipped lines), 1 a database error, 2 a usage error (e.g. no OUTPUT_DIR).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

from backlink_spider.records import RECORD_TYPES
from backlink_spider.schemas import FieldSpec
from pipelines.warehouse import LoadedFile, SqlStore, authority, table_specs

MAX_REPORTED_PER_FILE = 20
_INT64 = (-(2**63), 2**63 - 1)


class BadValue(ValueError):
    pass


# --- files ----------------------------------------------------------------------------------------


def complete_files(output_dir: Path, record_type: str) -> list[Path]:
    """The complete JSONL files of one record type, in a stable order (hidden/partial ones ignored)."""
    base = output_dir / record_type
    if not base.is_dir():
        return []
    found = []
    for path in base.rglob("*.jsonl"):
        relative = path.relative_to(base).parts
        if any(part.startswith(".") for part in relative) or not path.is_file():
            continue
        found.append(path)
    return sorted(found)


# --- values ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(f"expected a string, got {type(value).__name__}")
    return value.replace("\x00", "") if "\x00" in value else value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"expected an integer, got {type(value).__name__}")
    if isinstance(value, float):
        if not value.is_integer():
            raise BadValue(f"expected an integer, got {value!r}")
        value = int(value)
    if not _INT64[0] <= value <= _INT64[1]:
        raise BadValue(f"integer out of range: {value}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"expected a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise BadValue(f"expected a finite number, got {value!r}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue(f"expected true/false, got {type(value).__name__}")
    return value


def _timestamp(value: Any) -> datetime:
    text = _text(value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(f"not an ISO 8601 timestamp: {text[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _json_clean(value: Any) -> Any:
    """A JSON value without NUL characters (PostgreSQL text and jsonb reject them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_json_clean(v) for v in value]
    if isinstance(value, dict):
        return {_json_clean(k): _json_clean(v) for k, v in value.items()}
    return value


def _object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise BadValue(f"expected an object, got {type(value).__name__}")
    return _json_clean(value)


_CONVERT = {
    "string": _text,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "object": _object,
}


def convert(spec: FieldSpec, value: Any) -> Any:
    """The database value of one field (None stays None: a missing or null field is NULL)."""
    if value is None or (spec.timestamp and value == ""):  # "" = not set yet (e.g. a default)
        return None
    if spec.kind == "array":
        if not isinstance(value, list):
            raise BadValue(f"expected a list, got {type(value).__name__}")
        item = _CONVERT[spec.item_kind or "string"]
        return [item(v) for v in value]
    return _CONVERT[spec.scalar_kind](value)


def parse_line(
    line: bytes, record_type: str, specs: Sequence[FieldSpec], known: set[str]
) -> tuple[tuple, set[str]]:
    """(values in `specs` order, unknown field names) of one JSONL line; raises BadValue."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise BadValue(f"malformed JSON ({error})") from None
    if not isinstance(obj, dict):
        raise BadValue(f"expected a JSON object, got {type(obj).__name__}")
    found_type = obj.get("type", record_type)
    if found_type != record_type:
        raise BadValue(f"a {found_type!r} record in a {record_type!r} file")
    for key in ("record_id", "crawl_id"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise BadValue(f"missing or empty {key}")
    values = []
    for spec in specs:
        if spec.name == "type":
            values.append(record_type)
            continue
        try:
            values.append(convert(spec, obj.get(spec.name)))
        except BadValue as error:
            raise BadValue(f"field {spec.name!r}: {error}") from None
    return tuple(values), set(obj) - known


# --- loading --------------------------------------------------------------------------------------


class TypeLoad:
    """Reads the pending files of one record type for one store, counting and reporting bad lines."""

    def __init__(
        self, record_type: str, specs: list[FieldSpec], paths: list[Path], err: TextIO | None = None
    ) -> None:
        self.record_type = record_type
        self.specs = specs
        self.paths = paths
        self.err = err or sys.stderr
        self.files: list[LoadedFile] = []
        self.bad_lines = 0
        self.unreadable = 0

    def rows(self) -> Iterator[tuple]:
        known = {s.name for s in self.specs}
        seq = 0
        for path in self.paths:
            try:
                stat = path.stat()
                handle = open(path, "rb")
            except OSError as error:
                print(f"{path}: cannot read, skipped: {error.strerror or error}", file=self.err)
                self.unreadable += 1
                continue
            entry = LoadedFile(str(path.resolve()), self.record_type, stat.st_size, stat.st_mtime)
            unknown: set[str] = set()
            reported = 0
            with handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        values, extra = parse_line(line, self.record_type, self.specs, known)
                    except BadValue as error:
                        entry.bad_lines += 1
                        if reported < MAX_REPORTED_PER_FILE:
                            print(f"{path}:{number}: {error}; line skipped", file=self.err)
                        reported += 1
                        continue
                    unknown |= extra
                    entry.rows += 1
                    seq += 1
                    yield (*values, seq)
            if reported > MAX_REPORTED_PER_FILE:
                print(f"{path}: {reported - MAX_REPORTED_PER_FILE} more bad lines not shown", file=self.err)
            if unknown:
                print(f"{path}: ignoring unknown fields: {', '.join(sorted(unknown))}", file=self.err)
            self.bad_lines += entry.bad_lines
            self.files.append(entry)


def pending(paths: list[Path], loaded: dict[str, tuple[int, float]]) -> list[Path]:
    """The files not yet loaded with their current size and mtime."""
    todo = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            todo.append(path)  # reported when read
            continue
        if loaded.get(str(path.resolve())) != (stat.st_size, stat.st_mtime):
            todo.append(path)
    return todo


def load_store(
    store: SqlStore, output_dir: Path, types: list[str], out: TextIO | None = None, err: TextIO | None = None
) -> dict[str, dict]:
    """Load the given record types from `output_dir` into one store; returns per-type counts."""
    out, err = out or sys.stdout, err or sys.stderr
    tables = table_specs()
    for note in store.ensure_tables(tables):
        print(f"[{store.name}] {note}", file=err)
    loaded = store.loaded_files()
    results = {}
    for record_type in types:
        paths = complete_files(output_dir, record_type)
        todo = pending(paths, loaded)
        job = TypeLoad(record_type, tables[record_type], todo, err=err)
        rows = store.load(record_type, tables[record_type], job.rows(), job.files) if todo else 0
        result = {
            "files": len(paths),
            "new_files": len(job.files),
            "skipped_files": len(paths) - len(todo),
            "rows_loaded": rows,
            "bad_lines": job.bad_lines,
            "rows_in_table": store.count(record_type),
        }
        results[record_type] = result
        print(
            f"[{store.name}] {record_type}: {result['files']} files ({result['new_files']} loaded, "
            f"{result['skipped_files']} unchanged), {rows} rows loaded, {result['bad_lines']} bad lines, "
            f"{result['rows_in_table']} rows in table",
            file=out,
        )
    authority.ensure_table(store)
    store.create_views()
    scores = authority.refresh(store)
    print(f"[{store.name}] domain_authority: {len(scores)} domains scored", file=out)
    return results


def _parse_types(text: str | None) -> list[str]:
    if not text:
        return list(RECORD_TYPES)
    types = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in types if t not in RECORD_TYPES]
    if unknown:
        raise ValueError(f"unknown record type(s): {', '.join(unknown)} (known: {', '.join(RECORD_TYPES)})")
    return list(dict.fromkeys(types))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="backlinks-load",
        description="Load the crawler's JSONL output into DuckDB and/or PostgreSQL (idempotent upserts).",
    )
    parser.add_argument(
        "output_dir", nargs="?", default="output", help="the crawl output directory (default: output)"
    )
    parser.add_argument("--duckdb", metavar="PATH", help="DuckDB file (default OUTPUT_DIR/warehouse.duckdb)")
    parser.add_argument(
        "--postgres", metavar="DSN", help="PostgreSQL connection string, e.g. postgresql://u@host/db"
    )
    parser.add_argument(
        "--types", metavar="TYPES", help=f"comma-separated record types (default: {','.join(RECORD_TYPES)})"
    )
    parser.add_argument(
        "--write-domain-authority",
        metavar="FILE",
        help="after loading, write the domain authority scores to FILE (CSV: domain,score,in_domains), "
        "for a crawl's DOMAIN_AUTHORITY_FILE",
    )
    args = parser.parse_args(argv)

    def fail(message: str, status: int) -> int:
        print(f"backlinks-load: error: {message}", file=sys.stderr)
        return status

    output_dir = Path(args.output_dir)
    if not output_dir.is_dir():
        return fail(f"output directory not found: {output_dir}", 2)
    try:
        types = _parse_types(args.types)
    except ValueError as error:
        return fail(str(error), 2)
    for child in sorted(output_dir.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and child.name not in RECORD_TYPES:
            if any(child.glob("dt=*")):
                print(
                    f"backlinks-load: note: {child} is not a record type this version knows; skipped",
                    file=sys.stderr,
                )

    targets: list[tuple[str, object]] = []
    if args.duckdb or not args.postgres:
        targets.append(("duckdb", args.duckdb or output_dir / "warehouse.duckdb"))
    if args.postgres:
        targets.append(("postgres", args.postgres))
    for kind, where in targets:
        try:
            if kind == "duckdb":
                from pipelines.warehouse.duckdb_store import DuckDBStore

                store = DuckDBStore(where)  # type: ignore[arg-type]
            else:
                from pipelines.warehouse.postgres_store import PostgresStore

                store = PostgresStore(where)  # type: ignore[arg-type]
        except Exception as error:  # noqa: BLE001 - any connection failure is one line
            shown = where if kind == "duckdb" else "database"  # a DSN may hold a password
            return fail(f"cannot open {kind} {shown}: {' '.join(str(error).split())}", 1)
        try:
            load_store(store, output_dir, types)
            if args.write_domain_authority:  # (from each store in turn: the same scores)
                rows = authority.write_file(store, Path(args.write_domain_authority))
                print(f"[{store.name}] wrote {rows} domain scores to {args.write_domain_authority}")
        except Exception as error:  # noqa: BLE001
            return fail(f"{kind}: load failed: {type(error).__name__}: {' '.join(str(error).split())}", 1)
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
