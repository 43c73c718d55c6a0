"""Schemas generated from the record dataclasses in `records.py` (the single source of truth).

For every type in RECORD_TYPES this derives, from the dataclass fields and their type hints:

* a JSON Schema (draft 2020-12): `schemas/jsonschema/<type>.json`
* a BigQuery table schema: `schemas/bigquery/<type>.json`
* one Markdown table per type in `schemas/fields.md` (field, type, nullable, description)

A field's description is the string literal written on the line(s) under it in the class body (an
attribute docstring, as Sphinx and IDEs read it), or its `field(metadata={"doc": "..."})`; a record
type's description is the first paragraph of its class docstring. Every field must have one:
`--check` lists those that do not.

    python -m backlink_spider.schemas            # (re)write the files under schemas/
    python -m backlink_spider.schemas --check    # exit 1, listing stale files and undocumented fields

Supported type hints: str, int, bool, float, dict, list[X] of those scalars, and `X | None`.
A `str` field named `crawled_at` or ending in `_at` is a timestamp (ISO 8601, UTC).
The warehouse loader (pipelines/warehouse) derives its table columns from `record_fields()` too.
"""

from __future__ import annotations

import argparse
import ast
import functools
import inspect
import json
import sys
import textwrap
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path

from backlink_spider.records import RECORD_TYPES, Record

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schemas"
JSON_SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Python type -> JSON Schema type name.
_SCALARS: dict[type, str] = {str: "string", int: "integer", bool: "boolean", float: "number"}
_BIGQUERY: dict[str, str] = {
    "string": "STRING",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "number": "FLOAT",
    "object": "JSON",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class FieldSpec:
    """One output field of a record type, as every generator and the warehouse see it."""

    name: str
    kind: str  # "string" | "integer" | "boolean" | "number" | "object" | "array"
    nullable: bool
    item_kind: str | None = None  # the element kind when kind == "array"
    timestamp: bool = False
    doc: str = ""
    annotation: str = ""  # the type hint as written, e.g. "int | None"

    @property
    def scalar_kind(self) -> str:
        """`kind`, with timestamps as "timestamp" (for mapping to database types)."""
        return "timestamp" if self.timestamp else self.kind


def _is_timestamp(name: str) -> bool:
    return name == "crawled_at" or name.endswith("_at")


def _describe(hint: object, where: str) -> tuple[str, str | None, bool]:
    """(kind, item_kind, nullable) of a type hint."""
    nullable = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        nullable = len(args) < len(typing.get_args(hint))
        if len(args) != 1:
            raise TypeError(f"{where}: unsupported union type {hint!r} (only `X | None`)")
        hint = args[0]
        origin = typing.get_origin(hint)
    if hint in _SCALARS:
        return _SCALARS[hint], None, nullable  # type: ignore[index]
    if hint is dict or origin is dict:
        return "object", None, nullable
    if hint is list or origin is list:
        args = typing.get_args(hint)
        item = args[0] if args else str
        if item not in _SCALARS:
            raise TypeError(f"{where}: unsupported list element type {item!r}")
        return "array", _SCALARS[item], nullable
    raise TypeError(f"{where}: unsupported type hint {hint!r}")


@functools.cache
def _class_field_docs(cls: type) -> dict[str, str]:
    """Field name -> the string literal right under its annotated assignment in `cls`'s own body."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):  # no source (a frozen or zipped build): no docs
        return {}
    body = next((node.body for node in tree.body if isinstance(node, ast.ClassDef)), [])
    docs = {}
    for node, after in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> description from the attribute docstrings of `cls` and its bases (a subclass's
    own docstring for a field wins)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is not object:
            docs.update(_class_field_docs(klass))
    return docs


def record_fields(cls: type[Record]) -> list[FieldSpec]:
    """The output fields of a record class, in order, with their kinds (from the type hints) and
    descriptions (`field(metadata={"doc": ...})`, else the field's attribute docstring)."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    specs = []
    for f in fields(cls):
        kind, item_kind, nullable = _describe(hints[f.name], f"{cls.__name__}.{f.name}")
        specs.append(
            FieldSpec(
                name=f.name,
                kind=kind,
                nullable=nullable,
                item_kind=item_kind,
                timestamp=kind == "string" and _is_timestamp(f.name),
                doc=" ".join(str(f.metadata.get("doc") or docs.get(f.name, "")).split()),
                annotation=f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type)),
            )
        )
    return specs


def undocumented_fields() -> list[str]:
    """`type.field` of every field of every record type that has no description."""
    return [
        f"{record_type}.{spec.name}"
        for record_type, cls in RECORD_TYPES.items()
        for spec in record_fields(cls)
        if not spec.doc
    ]


def _summary(text: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    return " ".join(inspect.cleandoc(text or "").split("\n\n")[0].split())


# --- JSON Schema -------------------------------------------------------------------------------


def json_schema(record_type: str) -> dict:
    """JSON Schema (draft 2020-12) of one record type as the crawler writes it (one JSONL line)."""
    cls = RECORD_TYPES[record_type]
    properties: dict[str, dict] = {}
    for spec in record_fields(cls):
        if spec.name == "type":
            prop: dict = {"const": record_type}
        else:
            if spec.kind == "array":
                prop = {"type": "array", "items": {"type": spec.item_kind}}
            else:
                prop = {"type": spec.kind}
            if spec.timestamp:
                prop["format"] = "date-time"
            if spec.nullable:
                prop["type"] = [prop["type"], "null"]
        if spec.doc:
            prop["description"] = spec.doc
        properties[spec.name] = prop
    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "$id": f"https://backlink-spider.invalid/schemas/jsonschema/{record_type}.json",
        "title": f"{record_type} record",
        "description": _summary(cls.__doc__),
        "type": "object",
        "properties": properties,
        "required": [spec.name for spec in record_fields(cls)],
        "additionalProperties": False,
    }


# --- BigQuery ----------------------------------------------------------------------------------


def bigquery_schema(record_type: str) -> list[dict]:
    """BigQuery table schema (the JSON list `bq mk --schema` takes) of one record type."""
    columns = []
    for spec in record_fields(RECORD_TYPES[record_type]):
        if spec.kind == "array":
            column = {"name": spec.name, "type": _BIGQUERY[spec.item_kind or "string"], "mode": "REPEATED"}
        else:
            column = {
                "name": spec.name,
                "type": _BIGQUERY[spec.scalar_kind],
                "mode": "NULLABLE" if spec.nullable else "REQUIRED",
            }
        if spec.doc:
            column["description"] = spec.doc
        columns.append(column)
    return columns


# --- Markdown ----------------------------------------------------------------------------------


_LABELS = {"string": "str", "integer": "int", "boolean": "bool", "number": "float", "object": "dict"}


def _type_label(spec: FieldSpec) -> str:
    if spec.kind == "array":
        label = f"list[{_LABELS[spec.item_kind or 'string']}]"
    else:
        label = _LABELS[spec.kind]
    return f"{label} (timestamp)" if spec.timestamp else label


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def fields_markdown() -> str:
    lines = [
        "# Record fields",
        "",
        "Generated from `backlink_spider/records.py` by `python -m backlink_spider.schemas`; do not edit.",
        "Every record is one JSON line in `OUTPUT_DIR/<type>/dt=YYYY-MM-DD/<crawl_id>-<part>.jsonl`.",
        "Timestamps are ISO 8601 strings in UTC.",
    ]
    for record_type, cls in RECORD_TYPES.items():
        lines += ["", f"## `{record_type}`", ""]
        if _summary(cls.__doc__):
            lines += [_cell(_summary(cls.__doc__)), ""]
        lines += ["| field | type | nullable | description |", "| --- | --- | --- | --- |"]
        for spec in record_fields(cls):
            nullable = "yes" if spec.nullable else "no"
            lines.append(f"| `{spec.name}` | {_type_label(spec)} | {nullable} | {_cell(spec.doc)} |")
    return "\n".join(lines) + "\n"


# --- Files -------------------------------------------------------------------------------------


def _dump(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated_files(schema_dir: Path = SCHEMA_DIR) -> dict[Path, str]:
    """Every generated file (path -> exact content)."""
    files: dict[Path, str] = {}
    for record_type in sorted(RECORD_TYPES):
        files[schema_dir / "jsonschema" / f"{record_type}.json"] = _dump(json_schema(record_type))
        files[schema_dir / "bigquery" / f"{record_type}.json"] = _dump(bigquery_schema(record_type))
    files[schema_dir / "fields.md"] = fields_markdown()
    return files


def stale_files(schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    """Generated-looking files of record types that no longer exist."""
    expected = set(generated_files(schema_dir))
    found = [p for sub in ("jsonschema", "bigquery") for p in sorted((schema_dir / sub).glob("*.json"))]
    return [p for p in found if p not in expected]


def out_of_date(schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    """Files that are missing, differ from what would be generated, or belong to no record type."""
    changed = [
        path
        for path, content in generated_files(schema_dir).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]
    return changed + stale_files(schema_dir)


def write(schema_dir: Path = SCHEMA_DIR) -> list[Path]:
    """Write every generated file (only those that changed); remove stale ones. Returns what changed."""
    changed = []
    for path, content in generated_files(schema_dir).items():
        if path.is_file() and path.read_text(encoding="utf-8") == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        changed.append(path)
    for path in stale_files(schema_dir):
        path.unlink()
        changed.append(path)
    return changed


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backlink_spider.schemas",
        description="Generate JSON Schema, BigQuery schema and field docs from the record dataclasses.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if any generated file is out of date")
    parser.add_argument(
        "--dir", type=Path, default=SCHEMA_DIR, help=f"output directory (default {SCHEMA_DIR})"
    )
    args = parser.parse_args(argv)
    if args.check:
        outdated = out_of_date(args.dir)
        for path in outdated:
            print(f"out of date: {_shown(path)}", file=sys.stderr)
        if outdated:
            print("run `python -m backlink_spider.schemas` to regenerate", file=sys.stderr)
        undocumented = undocumented_fields()
        for name in undocumented:
            print(f"no description: {name} (a string literal under the field in records.py)", file=sys.stderr)
        return 1 if outdated or undocumented else 0
    for path in write(args.dir):
        print(f"{'removed' if not path.exists() else 'wrote'} {_shown(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
