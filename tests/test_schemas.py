"""The generated schema files: up to date with records.py, and right about what the crawler writes."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator
from scrapy.utils.test import get_crawler

from backlink_spider import schemas
from backlink_spider.records import RECORD_TYPES, Record
from pipelines.jsonl import JsonlWriterPipeline

AT = "2026-11-24T22:36:45.501676Z"
COMMON = {"crawl_id": "demo-20261124T223644Z", "target": "brewbird.io", "crawled_at": AT}

# Realistic values of the known types (fields a type no longer has are dropped; fields it gained get
# generic values), with optional fields both set and left at their defaults.
KNOWN: dict[str, list[dict]] = {
    "page": [
        dict(
            url="https://forum.example/t/57",
            status=200,
            rendered=False,
            title="Grinder tips",
            canonical_url="https://forum.example/t/57",
            lang="en",
            evidence=["generator:discourse"],
            source_type="forum",
            outbound_links=15,
            external_links=4,
            internal_links=11,
            mentions=1,
        ),
        dict(
            url="https://gone.example/",
            status=None,
            rendered=True,
            render_reason="spa",
            error="DNSLookupError: no such host",
        ),
    ],
    "backlink": [
        dict(
            source_url="https://list.example/tools",
            target_url="https://www.brewbird.io/",
            anchor_text="BrewBird",
            rel=["nofollow", "ugc"],
            nofollow=True,
            ugc=True,
            source_domain="list.example",
            target_domain="www.brewbird.io",
            position="footer",
            context="Made with BrewBird",
            image_alt=None,
        ),
        dict(
            source_url="https://b.example/",
            target_url="https://brewbird.io/x",
            anchor_text="",
            rel=[],
            link_type="image",
            image_alt="BrewBird logo",
            wrapper_url="https://t.co/abc",
        ),
    ],
    "mention": [
        dict(
            source_url="https://forum.example/t/57",
            term="brewbird",
            matched_text="brewbird",
            snippet="I switched to the brewbird burr grinder last month.",
            position="comment",
            occurrence=1,
        ),
    ],
    "lead": [
        dict(
            source_url="https://blog.example/post",
            source_domain="blog.example",
            title="A post",
            author="Jane Doe",
            emails=["jane@blog.example"],
            contact_url="https://blog.example/contact",
            social_profiles=["https://mastodon.example/@jane"],
            snippet="BrewBird is great.",
            mentions=2,
        ),
    ],
    "broken_link": [
        dict(
            source_url="https://blog.example/post",
            broken_url="https://old.example/x",
            anchor_text="old tool",
            status=404,
            checked_at=AT,
            suggested_replacement="https://brewbird.io/",
            suggestion_score=0.82,
        ),
    ],
}

_SAMPLE = {"string": "sample text", "integer": 3, "boolean": True, "number": 0.5, "object": {"key": "value"}}


def generic_values(cls: type[Record]) -> dict:
    """A value for every init field, from its kind."""
    values = {}
    for spec in schemas.record_fields(cls):
        if spec.name in ("type", "schema_version", "record_id"):
            continue
        if spec.name in COMMON:
            values[spec.name] = COMMON[spec.name]
        elif spec.timestamp:
            values[spec.name] = AT
        elif spec.kind == "array":
            values[spec.name] = [_SAMPLE[spec.item_kind or "string"]]
        elif spec.name.endswith("url"):
            values[spec.name] = "https://blog.example/post"
        else:
            values[spec.name] = _SAMPLE[spec.kind]
    return values


def sample_records(record_type: str) -> list[Record]:
    """Known realistic records, plus one with every field set and one with only the required ones."""
    cls = RECORD_TYPES[record_type]
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    required = {
        f.name
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    full = generic_values(cls)
    minimal = {k: v for k, v in full.items() if k in required}
    known = [
        minimal | {k: v for k, v in values.items() if k in init} for values in KNOWN.get(record_type, [])
    ]
    return [cls(**values) for values in [*known, full, minimal]]


def written_lines(tmp_path: Path, records: list[Record]) -> list[dict]:
    """The records as the crawler writes them (JsonlWriterPipeline, orjson), read back line by line."""

    class Spider:
        crawl_id = COMMON["crawl_id"]

    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(tmp_path), "OUTPUT_ROTATE_RECORDS": 1000})
    crawler.spider = Spider()
    pipeline = JsonlWriterPipeline.from_crawler(crawler)
    for record in records:
        pipeline.process_item(record)
    asyncio.run(pipeline.close_spider())
    return [
        orjson.loads(line)
        for path in sorted(tmp_path.rglob("*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]


def validator(record_type: str) -> Draft202012Validator:
    schema = json.loads((schemas.SCHEMA_DIR / "jsonschema" / f"{record_type}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_generated_files_are_up_to_date(capsys):
    status = schemas.main(["--check"])
    assert status == 0, f"regenerate with `python -m backlink_spider.schemas`:\n{capsys.readouterr().err}"


def test_check_lists_what_is_out_of_date(tmp_path, capsys):
    assert schemas.main(["--dir", str(tmp_path)]) == 0
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "bigquery" / "page.json").write_text("[]\n")
    (tmp_path / "jsonschema" / "gone.json").write_text("{}\n")
    (tmp_path / "fields.md").unlink()
    capsys.readouterr()
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    for name in ("bigquery/page.json", "jsonschema/gone.json", "fields.md"):
        assert name in err
    assert "jsonschema/page.json" not in err


@pytest.mark.parametrize("record_type", sorted(RECORD_TYPES))
def test_written_records_validate(record_type, tmp_path):
    check = validator(record_type)
    lines = written_lines(tmp_path, sample_records(record_type))
    assert lines
    for line in lines:
        errors = sorted(check.iter_errors(line), key=str)
        assert not errors, f"{record_type}: {[e.message for e in errors]}"


@pytest.mark.parametrize("record_type", sorted(RECORD_TYPES))
def test_schema_rejects_what_the_crawler_never_writes(record_type, tmp_path):
    check = validator(record_type)
    good = written_lines(tmp_path, sample_records(record_type)[:1])[0]
    specs = {s.name: s for s in schemas.record_fields(RECORD_TYPES[record_type])}
    assert not check.is_valid(good | {"type": "something_else"})
    assert not check.is_valid(good | {"unexpected": 1})
    assert not check.is_valid({k: v for k, v in good.items() if k != "crawled_at"})
    assert not check.is_valid(good | {"crawl_id": None})
    assert not check.is_valid(good | {"schema_version": "1"})
    for name, spec in specs.items():
        if spec.kind == "array":
            assert not check.is_valid(good | {name: [None]})
        if spec.kind == "boolean" and not spec.nullable:
            assert not check.is_valid(good | {name: None})


def test_bigquery_types_and_modes():
    page = {c["name"]: (c["type"], c["mode"]) for c in schemas.bigquery_schema("page")}
    assert page["crawled_at"] == ("TIMESTAMP", "REQUIRED")
    assert page["status"] == ("INTEGER", "NULLABLE")
    assert page["rendered"] == ("BOOLEAN", "REQUIRED")
    assert page["title"] == ("STRING", "NULLABLE")
    assert page["evidence"] == ("STRING", "REPEATED")
    for record_type in RECORD_TYPES:
        on_disk = json.loads((schemas.SCHEMA_DIR / "bigquery" / f"{record_type}.json").read_text())
        assert [c["name"] for c in on_disk] == [f.name for f in dataclasses.fields(RECORD_TYPES[record_type])]


def test_any_new_type_and_field_docs(monkeypatch):
    @dataclass(kw_only=True)
    class Probe(Record):
        """A probe type, as the crawler author
        might add one.

        Only the first paragraph is the type's description."""

        TYPE = "probe"
        url: str = field(metadata={"doc": "The probed URL | canonical."})
        """Not this: the metadata wins."""
        score: float | None = None
        checked_at: str = ""
        """When it was
        probed."""
        headers: dict = field(default_factory=dict)
        codes: list[int] = field(default_factory=list)

        def identity(self):
            return (self.url,)

    monkeypatch.setitem(RECORD_TYPES, "probe", Probe)
    bq = {c["name"]: c for c in schemas.bigquery_schema("probe")}
    assert bq["url"] == {
        "name": "url",
        "type": "STRING",
        "mode": "REQUIRED",
        "description": "The probed URL | canonical.",
    }
    assert (bq["score"]["type"], bq["score"]["mode"]) == ("FLOAT", "NULLABLE")
    assert bq["checked_at"]["type"] == "TIMESTAMP"
    assert bq["headers"]["type"] == "JSON"
    assert (bq["codes"]["type"], bq["codes"]["mode"]) == ("INTEGER", "REPEATED")
    js = schemas.json_schema("probe")
    assert js["properties"]["type"]["const"] == "probe"
    assert js["properties"]["score"] == {"type": ["number", "null"]}
    assert js["properties"]["headers"] == {"type": "object"}
    assert js["properties"]["url"]["description"] == "The probed URL | canonical."
    assert js["additionalProperties"] is False
    assert js["required"] == [f.name for f in dataclasses.fields(Probe)]
    markdown = schemas.fields_markdown()
    assert "## `probe`" in markdown
    assert "| `url` | str | no | The probed URL \\| canonical. |" in markdown
    assert "| `score` | float | yes |  |" in markdown
    assert "| `checked_at` | str (timestamp) | no | When it was probed. |" in markdown
    assert "A probe type, as the crawler author might add one.\n" in markdown
    assert js["description"] == "A probe type, as the crawler author might add one."
    assert js["properties"]["checked_at"]["description"] == "When it was probed."
    assert bq["checked_at"]["description"] == "When it was probed."
    # inherited from Record's own field docstrings
    assert bq["crawl_id"]["description"] == "The crawl that wrote it."
    assert "description" not in bq["score"]
    assert schemas.undocumented_fields() == ["probe.score", "probe.headers", "probe.codes"]
    record = Probe(crawl_id="c", crawled_at=AT, url="https://a.example/", headers={"a": 1}, codes=[200])
    assert Draft202012Validator(js).is_valid(orjson.loads(orjson.dumps(dataclasses.asdict(record))))


def test_every_field_has_a_description(capsys):
    assert schemas.undocumented_fields() == []
    for record_type, cls in RECORD_TYPES.items():
        js = schemas.json_schema(record_type)
        bq = {c["name"]: c for c in schemas.bigquery_schema(record_type)}
        for spec in schemas.record_fields(cls):
            assert spec.doc, f"{record_type}.{spec.name}"
            assert "\n" not in spec.doc and "  " not in spec.doc
            assert js["properties"][spec.name]["description"] == spec.doc
            assert bq[spec.name]["description"] == spec.doc
    # the texts of records.py, as a reader of each file sees them
    assert schemas.json_schema("backlink")["properties"]["nofollow"]["description"] == "`rel` has `nofollow`."
    on_disk = json.loads((schemas.SCHEMA_DIR / "bigquery" / "page.json").read_text())
    assert on_disk[6] == {
        "name": "url",
        "type": "STRING",
        "mode": "REQUIRED",
        "description": "The page's URL (canonical: no fragment, no tracking parameters).",
    }
    markdown = (schemas.SCHEMA_DIR / "fields.md").read_text()
    assert "| `occurrence` | int | no | 1, 2, ... for the same term on the same page. |" in markdown
    record_id = "| `record_id` | str | no | Stable hash of the record's identity (the same across crawls):"
    assert markdown.count(f"{record_id} use it to upsert. |") == len(RECORD_TYPES)


def test_check_lists_undocumented_fields(tmp_path, monkeypatch, capsys):
    @dataclass(kw_only=True)
    class Probe(Record):
        """A probe type."""

        TYPE = "probe"
        url: str
        """The probed URL."""
        score: float | None = None

        def identity(self):
            return (self.url,)

    monkeypatch.setitem(RECORD_TYPES, "probe", Probe)
    assert schemas.main(["--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no description: probe.score" in err
    assert "out of date" not in err and "probe.url" not in err
