"""The report's files: reading a crawl (and the previous crawl of its target) from OUTPUT_DIR and
writing OUTPUT_DIR/reports/<crawl_id>.html; `main` is `python -m backlink_spider.report`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from backlink_spider.competitors import split_roles
from backlink_spider.output import read_records
from backlink_spider.report.numbers import REPORTED_TYPES, build_summary
from backlink_spider.report.render import render_report
from pipelines.storage import write_atomically


def read_crawl(output_dir: str | Path, crawl_id: str) -> dict[str, list[dict]]:
    """Every record of one crawl, by type (read_records keeps only this crawl id's records, not
    those of crawl ids that extend it, `weekly` vs `weekly-2`). `backlink` and `mention` are the
    target's; the competitors' are under `competitor_backlink` and `competitor_mention`
    (competitors.split_roles), so every number about the target is the target's alone."""
    return split_roles({kind: list(read_records(output_dir, kind, crawl_id)) for kind in REPORTED_TYPES})


def _crawl_starts(output_dir: Path) -> dict[str, tuple[str | None, str]]:
    """crawl_id -> (target, earliest crawled_at) over the backlink files of OUTPUT_DIR."""
    starts: dict[str, tuple[str | None, str]] = {}
    for record in read_records(output_dir, "backlink"):
        crawl_id, at = record.get("crawl_id"), record.get("crawled_at")
        if crawl_id and at and (crawl_id not in starts or at < starts[crawl_id][1]):
            # (a competitor's backlink names the crawl's target in main_target)
            starts[crawl_id] = (record.get("main_target") or record.get("target"), at)
    return starts


def is_partial(summaries: Iterable[dict], worker: str | None = None) -> bool:
    """Whether a crawl is partial, from its `summary` records: the latest summary of each process
    (only `worker`'s when it wrote one) says `partial: true`. No summary, or no field: complete."""
    latest: dict[str, dict] = {}
    for record in summaries:
        name = record.get("worker") or ""
        if name not in latest or (record.get("crawled_at") or "") >= (latest[name].get("crawled_at") or ""):
            latest[name] = record
    if worker in latest:
        return bool(latest[worker].get("partial"))
    return any(record.get("partial") for record in latest.values())


TREND_CRAWLS = 10


def crawl_history(output_dir: str | Path, target: str | None, crawl_id: str, summary: dict) -> list[dict]:
    """The last TREND_CRAWLS discovery crawls of `target` up to this one, oldest first: crawl id,
    start, backlinks, referring domains and whether partial (from their summary records; this
    crawl's numbers from `summary`)."""
    rows = {}
    for record in read_records(output_dir, "summary"):
        if record.get("target") != target or record.get("spider") not in (None, "mentions"):
            continue
        if record.get("crawl_id") == crawl_id:
            continue
        rows[record["crawl_id"]] = {
            "crawl_id": record["crawl_id"],
            "started_at": record.get("started_at") or "",
            "backlinks": record.get("backlinks") or 0,
            "referring_domains": record.get("referring_domains") or 0,
            "partial": bool(record.get("partial")),
        }
    earlier = sorted(
        (r for r in rows.values() if r["started_at"] < (summary.get("started_at") or "")),
        key=lambda r: r["started_at"],
    )
    current = {
        "crawl_id": crawl_id,
        "started_at": summary.get("started_at") or "",
        "backlinks": summary.get("backlinks") or 0,
        "referring_domains": summary.get("referring_domains") or 0,
        "partial": False,
    }
    return [*earlier[-(TREND_CRAWLS - 1) :], current]


def find_previous_crawl(
    output_dir: str | Path, target: str | None, started_at: str | None, crawl_id: str, complete: bool = True
) -> str | None:
    """The latest crawl of `target` in OUTPUT_DIR that started before `started_at`; with
    `complete`, the latest that is not partial (a capped or interrupted crawl did not look at
    everything: comparing with it would make links it did not reach look new)."""
    if not started_at:
        return None
    earlier = sorted(
        (
            (at, cid)
            for cid, (tgt, at) in _crawl_starts(Path(output_dir)).items()
            if cid != crawl_id and tgt == target and at < started_at
        ),
        reverse=True,
    )
    for _, cid in earlier:
        if not complete or not is_partial(read_records(output_dir, "summary", cid)):
            return cid
    return None


def write_report(
    output_dir: str | Path,
    crawl_id: str,
    records: dict[str, list[dict]] | None = None,
    discovery: dict | None = None,
    partial: list[str] | None = None,
    arguments: dict | None = None,
) -> Path:
    """Write OUTPUT_DIR/reports/<crawl_id>.html (atomically) and return its path. `records`: the
    crawl's records when the caller has read them already (read_crawl); `discovery`: what each
    discovery source did (the summary record's `discovery`)."""
    if not crawl_id or "/" in crawl_id or "\\" in crawl_id or crawl_id.startswith(".") or "\0" in crawl_id:
        raise ValueError(f"not a crawl id: {crawl_id!r}")
    output_dir = Path(output_dir)
    if records is None:
        records = read_crawl(output_dir, crawl_id)
    if not any(records.values()):
        raise FileNotFoundError(f"no records of crawl {crawl_id!r} under {output_dir}")
    summary = build_summary(records)
    previous_id = find_previous_crawl(output_dir, summary["target"], summary["started_at"], crawl_id)
    previous = read_crawl(output_dir, previous_id) if previous_id else None
    for record in records.get("summary") or ():  # a report made again later: the summary kept these
        discovery = discovery if discovery is not None else record.get("discovery")
        partial = partial if partial is not None else record.get("partial_reasons")
        arguments = arguments if arguments is not None else record.get("arguments")
    history = crawl_history(output_dir, summary["target"], crawl_id, summary)
    html = render_report(summary, records, previous, discovery, partial or [], arguments, history)

    return write_atomically(output_dir / "reports" / f"{crawl_id}.html", html)


def main(argv: list[str] | None = None) -> int:
    """`python -m backlink_spider.report OUTPUT_DIR CRAWL_ID`: write the report, print its path.
    Returns the exit status (2 for a bad crawl id or a crawl without records)."""
    parser = argparse.ArgumentParser(
        prog="python -m backlink_spider.report", description="Write a crawl's HTML report and print its path."
    )
    parser.add_argument("output_dir", help="the crawl's OUTPUT_DIR")
    parser.add_argument("crawl_id", help="the crawl id (the records' crawl_id)")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.output_dir, args.crawl_id)
    except (ValueError, FileNotFoundError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0
