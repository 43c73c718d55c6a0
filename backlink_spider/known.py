"""Backlinks known from earlier crawls: read from a JSONL output tree, a DuckDB warehouse file, a
PostgreSQL warehouse (DSN), or a vendor's backlink export (exports.py: Ahrefs, Semrush, Majestic,
Moz). For each linking page, the links its most recent crawl (or the export) saw."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from backlink_spider.output import read_records
from backlink_spider.target import Target

KNOWN_FIELDS = ("source_url", "target_url", "anchor_text", "rel", "crawl_id", "crawled_at", "record_id")


class KnownError(ValueError):
    """`-a known=` names nothing readable; the message is shown to the user as is."""


def _latest_per_page(rows: list[dict], target: Target) -> dict[str, list[dict]]:
    by_page: dict[str, dict[str, list[dict]]] = {}
    for row in rows:
        if row.get("target") not in (None, target.host):
            continue
        by_page.setdefault(row["source_url"], {}).setdefault(row["crawl_id"], []).append(row)
    result: dict[str, list[dict]] = {}
    for page, crawls in by_page.items():
        newest = max(crawls, key=lambda c: max(str(r.get("crawled_at") or "") for r in crawls[c]))
        result[page] = crawls[newest]
    return result


def _from_sql(connection, placeholder: str, target: Target) -> list[dict]:  # noqa: ANN001
    cursor = connection.cursor()
    cursor.execute(
        f"SELECT {', '.join(KNOWN_FIELDS)} FROM backlink WHERE target = {placeholder} OR target IS NULL",
        (target.host,),
    )
    return [dict(zip(KNOWN_FIELDS, row, strict=True)) for row in cursor.fetchall()]


def _from_export(known: str, target: Target) -> list[dict]:
    """The claimed links of a vendor export, as known backlinks (crawl_id `export:<vendor>`)."""
    from backlink_spider.exports import ExportError, read_export, sniff_export

    data = Path(known).read_bytes()
    if not sniff_export(data):
        raise KnownError(
            f"-a known={known}: not a backlink export of a known vendor (nor an output directory)"
        )
    try:
        export = read_export(data, Path(known).name)
    except ExportError as exc:
        raise KnownError(f"-a known={known}: {exc}") from None
    rows = [
        {
            "source_url": claim.source_url,
            "target_url": claim.target_url,
            "anchor_text": claim.anchor or "",
            "rel": [flag for flag in ("nofollow", "ugc", "sponsored") if getattr(claim, flag)],
            "crawl_id": f"export:{export.vendor}",
            "crawled_at": claim.last_seen or claim.first_seen or "",
            "record_id": "",
            "target": target.host,
        }
        for claim in export.claims
        if claim.target_url and target.owns(claim.target_url)
    ]
    if not rows:
        raise KnownError(
            f"-a known={known}: no claimed links to {target.host} with a target URL in it "
            "(Search Console exports name linking pages only: crawl them with -a seeds=)"
        )
    return rows


@lru_cache(maxsize=2)  # the crawl command checks -a known before the spider is built: read once
def load_known_backlinks(known: str, target: Target) -> dict[str, list[dict]]:
    """Known backlinks of `target` by source page: {source_url: [backlink dicts of its latest crawl]}.

    `known` is an OUTPUT_DIR of JSONL, a `.duckdb` file, or a `postgresql://` DSN.
    """
    if known.startswith(("postgresql://", "postgres://")):
        import psycopg

        try:
            with psycopg.connect(known) as connection:
                rows = _from_sql(connection, "%s", target)
        except psycopg.Error as exc:
            raise KnownError(
                f"-a known: cannot read backlinks from PostgreSQL: {exc}".splitlines()[0]
            ) from None
    elif known.endswith(".duckdb"):
        import duckdb

        if not Path(known).is_file():
            raise KnownError(f"-a known={known}: no such DuckDB file")
        try:
            connection = duckdb.connect(known, read_only=True)
            try:
                rows = _from_sql(connection, "?", target)
            finally:
                connection.close()
        except duckdb.Error as exc:
            raise KnownError(
                f"-a known={known}: cannot read its backlink table: {exc}".splitlines()[0]
            ) from None
    elif Path(known).is_file():
        rows = _from_export(known, target)
    else:
        if not Path(known, "backlink").is_dir():
            raise KnownError(f"-a known={known}: not an output directory with backlink records")
        rows = list(read_records(known, "backlink"))
    for row in rows:
        row["rel"] = list(row.get("rel") or [])
        row["crawled_at"] = str(row.get("crawled_at") or "")
    return _latest_per_page(rows, target)


def unverified_streaks(known: str, target: Target) -> dict[tuple[str, str], int]:
    """(url_key of the page, canonical target URL) -> how many of the latest rechecks in a row left
    the link `unverified`, from the `link_status` records in `known` (an output directory or a
    warehouse); {} when there are none (a vendor export, a first recheck)."""
    from backlink_spider.urls import canonical_url, url_key

    fields = ("source_url", "target_url", "status", "crawled_at", "target")
    rows: list[dict] = []
    try:
        if known.startswith(("postgresql://", "postgres://")):
            import psycopg

            with psycopg.connect(known) as connection:
                rows = _status_rows(connection, "%s", target, fields)
        elif known.endswith(".duckdb"):
            import duckdb

            connection = duckdb.connect(known, read_only=True)
            try:
                rows = _status_rows(connection, "?", target, fields)
            finally:
                connection.close()
        elif Path(known, "link_status").is_dir():
            rows = list(read_records(known, "link_status"))
    except Exception:  # noqa: BLE001 - history is a bonus: a warehouse without it still rechecks
        return {}
    history: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row in rows:
        if row.get("target") not in (None, target.host) or not row.get("target_url"):
            continue
        key = (url_key(row["source_url"]), canonical_url(row["target_url"]))
        history.setdefault(key, []).append((str(row.get("crawled_at") or ""), row.get("status") or ""))
    streaks = {}
    for key, runs in history.items():
        count = 0
        for _, status in sorted(runs, reverse=True):
            if status != "unverified":
                break
            count += 1
        if count:
            streaks[key] = count
    return streaks


def _status_rows(connection, placeholder: str, target: Target, fields: tuple[str, ...]) -> list[dict]:  # noqa: ANN001
    cursor = connection.cursor()
    cursor.execute(
        f"SELECT {', '.join(fields)} FROM link_status WHERE target = {placeholder} OR target IS NULL",
        (target.host,),
    )
    return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
