"""Reading a crawl's JSONL output back, and the short summary printed after a crawl."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson


def crawl_files(output_dir: str | Path, record_type: str, crawl_id: str | None = None) -> list[Path]:
    """The complete JSONL files of one record type (of one crawl when `crawl_id` is given)."""
    pattern = f"{crawl_id}-*.jsonl" if crawl_id else "*.jsonl"
    return sorted(Path(output_dir, record_type).glob(f"dt=*/{pattern}"))


def read_records(output_dir: str | Path, record_type: str, crawl_id: str | None = None) -> Iterator[dict]:
    for path in crawl_files(output_dir, record_type, crawl_id):
        with open(path, "rb") as handle:
            for line in handle:
                if line.strip():
                    yield orjson.loads(line)


def summarize(output_dir: str | Path, crawl_id: str) -> dict:
    """Counts a marketer reads first."""
    pages = list(read_records(output_dir, "page", crawl_id))
    backlinks = list(read_records(output_dir, "backlink", crawl_id))
    mentions = list(read_records(output_dir, "mention", crawl_id))
    followed = [b for b in backlinks if not (b["nofollow"] or b["ugc"] or b["sponsored"])]
    unlinked_pages = sorted({m["source_url"] for m in mentions if m["unlinked"]})
    return {
        "crawl_id": crawl_id,
        "pages": len(pages),
        "rendered_pages": sum(1 for p in pages if p["rendered"]),
        "errors": sum(1 for p in pages if p.get("error")),
        "backlinks": len(backlinks),
        "referring_domains": len({b["source_domain"] for b in backlinks}),
        "followed_share": round(len(followed) / len(backlinks), 3) if backlinks else 0.0,
        "mentions": len(mentions),
        "unlinked_mention_pages": unlinked_pages,
        "rel": dict(
            Counter(tok for b in backlinks for tok in b["rel"] if tok in ("nofollow", "ugc", "sponsored"))
        ),
    }


def format_summary(summary: dict, output_dir: str | Path) -> str:
    lines = [
        f"Crawl {summary['crawl_id']}: {summary['pages']} pages ({summary['rendered_pages']} rendered, "
        f"{summary['errors']} with errors)",
        f"  backlinks: {summary['backlinks']} from {summary['referring_domains']} referring domains, "
        f"{summary['followed_share']:.0%} followed",
        f"  mentions: {summary['mentions']}; unlinked-mention pages (outreach leads): "
        f"{len(summary['unlinked_mention_pages'])}",
    ]
    lines += [f"    - {url}" for url in summary["unlinked_mention_pages"]]
    lines.append(f"  output: {Path(output_dir).resolve()}/<type>/dt=*/{summary['crawl_id']}-*.jsonl")
    return "\n".join(lines)
