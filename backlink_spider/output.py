"""A crawl's id, which names its output, and reading a crawl's JSONL output back (the report, the
end-of-crawl summary, recheck, tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pipelines.state import stored_crawl_id


def crawl_id_for(settings, kwargs: dict[str, Any]) -> str:  # noqa: ANN001
    """CRAWL_ID setting, else the id of the JOBDIR job being resumed, else Scrapyd's job id, else
    a UTC timestamp."""
    return (
        settings.get("CRAWL_ID")
        or stored_crawl_id(settings.get("JOBDIR"))
        or kwargs.get("_job")
        or os.environ.get("SCRAPY_JOB")
        or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    )


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
