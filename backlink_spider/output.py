"""Reading a crawl's JSONL output back (the report, the end-of-crawl summary, recheck, tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson


def crawl_files(output_dir: str | Path, record_type: str, crawl_id: str | None = None) -> list[Path]:
    """The complete JSONL files of one record type (of one crawl when `crawl_id` is given; the
    name pattern may also match crawl ids that start alike: read_records filters exactly)."""
    pattern = f"{crawl_id}-*.jsonl" if crawl_id else "*.jsonl"
    return sorted(Path(output_dir, record_type).glob(f"dt=*/{pattern}"))


def read_records(output_dir: str | Path, record_type: str, crawl_id: str | None = None) -> Iterator[dict]:
    """Records of one type, of one crawl when `crawl_id` is given."""
    for path in crawl_files(output_dir, record_type, crawl_id):
        with open(path, "rb") as handle:
            for line in handle:
                if line.strip():
                    record = orjson.loads(line)
                    if crawl_id is None or record.get("crawl_id") == crawl_id:
                        yield record
