"""The `domain_authority` table: PageRank over the `domain_links` view, refreshed by every load.

The domain graph is small (domains, not pages), so the loader reads its edges and runs the power
iterations in Python (backlink_spider.authority.pagerank): the same numbers in DuckDB and in
PostgreSQL, no dialect-specific recursive SQL. The table is replaced whole in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from backlink_spider.authority import DomainScore, pagerank, write_authority
from pipelines.warehouse import SqlStore

TABLE = "domain_authority"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(domain TEXT PRIMARY KEY, score BIGINT, in_domains BIGINT, pagerank DOUBLE PRECISION)"
)


def ensure_table(store: SqlStore) -> None:
    """Create the table (before the views: `referring_domains` reads it)."""
    store.execute_all([CREATE])


def refresh(store: SqlStore) -> list[DomainScore]:
    """Recompute every domain's score from `domain_links` (all crawls held) and store it."""
    edges = store.con.execute("SELECT source_domain, target_domain FROM domain_links").fetchall()
    scores = pagerank((source, target) for source, target in edges)
    store.replace_rows(
        TABLE,
        ["domain", "score", "in_domains", "pagerank"],
        [(s.domain, s.score, s.in_domains, s.pagerank) for s in scores],
    )
    return scores


def stored(store: SqlStore) -> list[DomainScore]:
    """The table's rows, best first."""
    rows = store.con.execute(
        f"SELECT domain, score, in_domains, pagerank FROM {TABLE} ORDER BY score DESC, pagerank DESC, domain"
    ).fetchall()
    return [DomainScore(d, int(s), int(n), float(p)) for d, s, n, p in rows]


def write_file(store: SqlStore, path: Path) -> int:
    """`--write-domain-authority FILE`: the CSV a crawl reads with DOMAIN_AUTHORITY_FILE."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        return write_authority(stored(store), handle)
