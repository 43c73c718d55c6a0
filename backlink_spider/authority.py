"""Referring-domain authority from our own link graph.

* `linked_domains(links, page_url, cap)`: the edges a page adds to the domain graph (its page
  record's `linked_domains`).
* `pagerank(edges)`: PageRank over the domain graph (the warehouse's `domain_links` view) and its
  0-100 score, computed by `backlinks-load` (pipelines/warehouse/authority.py).
* The authority CSV (`domain,score,in_domains`, a header line first): written by `backlinks-load
  --write-domain-authority FILE`, read by a crawl with DOMAIN_AUTHORITY_FILE (`read_authority`).
* `python -m backlink_spider.authority common-crawl RANKS.txt[.gz] [--top N] > FILE.csv` turns a
  Common Crawl domain-ranks file (published with its domain web graph) into the same CSV format.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import math
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from backlink_spider.target import host_of, registered_domain

CSV_HEADER = ("domain", "score", "in_domains")
DAMPING = 0.85
ITERATIONS = 50


class AuthorityFileError(ValueError):
    """DOMAIN_AUTHORITY_FILE cannot be used (one line says why)."""


def linked_domains(links: Iterable, page_url: str, cap: int, page_follows: bool = True) -> list[str]:
    """Registered domains other than the page's own that it gives a followed, visible link
    (`links`: extract.page.OutLink), sorted. At most `cap` (0 = no cap): the most-linked first,
    ties by name. A `nofollow` page (meta robots) passes no standing: no domains."""
    if not page_follows:
        return []
    own = registered_domain(host_of(page_url))
    counts: Counter[str] = Counter()
    for link in links:
        rel = set(getattr(link, "rel", None) or ())
        if link.hidden or link.nofollow or rel & {"ugc", "sponsored"}:
            continue
        domain = registered_domain(host_of(link.url))
        if domain and domain != own:
            counts[domain] += 1
    ranked = sorted(counts, key=lambda d: (-counts[d], d))
    return sorted(ranked[:cap] if cap else ranked)


@dataclass(frozen=True)
class DomainScore:
    domain: str
    score: int  # 0-100
    in_domains: int  # distinct domains linking to it
    pagerank: float = 0.0


def pagerank(edges: Iterable[tuple[str, str]]) -> list[DomainScore]:
    """PageRank (damping 0.85, 50 power iterations, dangling rank spread evenly) over the domain
    graph given as (source_domain, target_domain) pairs (duplicates and self-links ignored: a
    domain's vote is split evenly over the distinct domains it links to). The score is the rank on
    a log scale, 0 for the lowest rank in the graph, 100 for the highest. Best first (score, rank,
    then domain). Pure Python (a million edges among 100,000 domains: about 30 s on one core).
    Deterministic (fixed summation order): the same graph gives the same scores in DuckDB and
    PostgreSQL loads, whatever the hash seed."""
    out: dict[str, set[str]] = {}
    nodes: set[str] = set()
    for source, target in edges:
        nodes.update((source, target))
        if source != target:
            out.setdefault(source, set()).add(target)
    if not nodes:
        return []
    order = sorted(nodes)
    n = len(order)
    index = {domain: i for i, domain in enumerate(order)}
    out_degree = [len(out.get(domain, ())) for domain in order]
    sources_of: list[list[int]] = [[] for _ in order]  # in-links per domain, in a fixed order
    for source in order:
        for target in sorted(out.get(source, ())):
            sources_of[index[target]].append(index[source])
    dangling = [i for i in range(n) if not out_degree[i]]
    rank = [1.0 / n] * n
    for _ in range(ITERATIONS):
        base = (1.0 - DAMPING) / n + DAMPING * sum(rank[i] for i in dangling) / n
        vote = [DAMPING * r / d if d else 0.0 for r, d in zip(rank, out_degree, strict=True)]
        rank = [base + sum(map(vote.__getitem__, ins)) for ins in sources_of]
    in_domains = {domain: len(sources_of[i]) for i, domain in enumerate(order)}
    rank = dict(zip(order, rank, strict=True))
    low, high = min(rank.values()), max(rank.values())
    spread = math.log(high / low) if high > low * (1 + 1e-9) else 0.0

    def score(value: float) -> int:
        return round(100 * math.log(value / low) / spread) if spread else 0

    scores = [DomainScore(d, score(rank[d]), in_domains[d], rank[d]) for d in order]
    return sorted(scores, key=lambda s: (-s.score, -s.pagerank, s.domain))


def write_authority(scores: Iterable[DomainScore], handle: io.TextIOBase) -> int:
    """The authority CSV; returns the rows written."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    count = 0
    for s in scores:
        writer.writerow((s.domain, s.score, s.in_domains))
        count += 1
    return count


def read_authority(path: str | Path) -> dict[str, int]:
    """domain -> score (0-100) from an authority CSV; raises AuthorityFileError naming the first
    problem (`FILE:LINE: ...`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise AuthorityFileError(f"DOMAIN_AUTHORITY_FILE {path}: cannot read: {reason}") from None
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or [h.strip() for h in header[:2]] != list(CSV_HEADER[:2]):
        raise AuthorityFileError(
            f"DOMAIN_AUTHORITY_FILE {path}:1: expected the header {','.join(CSV_HEADER)} "
            "(write it with backlinks-load --write-domain-authority FILE)"
        )
    scores: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        domain = row[0].strip().lower()
        try:
            score = int(row[1])
        except (IndexError, ValueError):
            raise AuthorityFileError(
                f"DOMAIN_AUTHORITY_FILE {path}:{number}: the score must be an integer 0-100"
            ) from None
        if not domain or not 0 <= score <= 100:
            raise AuthorityFileError(
                f"DOMAIN_AUTHORITY_FILE {path}:{number}: expected a domain and a score 0-100"
            )
        scores[domain] = score
    return scores


# --- a Common Crawl domain-ranks file as an external prior -----------------------------------------


def common_crawl_scores(lines: Iterable[str], top: int = 0) -> list[DomainScore]:
    """Scores from a Common Crawl domain-ranks file (`<release>-domain-ranks.txt.gz` of a web graph
    release under data.commoncrawl.org/projects/hyperlinkgraph/; tab-separated, a `#`-header line:
    `#harmonicc_pos #harmonicc_val #pr_pos #pr_val #host_rev #n_hosts`; `host_rev` is the domain
    reversed, `com.example`). The score is the harmonic-centrality position on a log scale: 100 for
    the first, 0 for the last kept (`top`, 0 = all); in_domains is unknown there (0)."""
    ranked: list[tuple[int, str]] = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()  # (tab-separated; no field holds a space)
        if len(parts) < 5:
            continue
        position, domain = int(parts[0]), ".".join(reversed(parts[4].split(".")))
        if top and position > top:
            continue
        ranked.append((position, domain.lower()))
    if not ranked:
        return []
    last = max(p for p, _ in ranked)
    spread = math.log(last) if last > 1 else 1.0
    return [DomainScore(d, round(100 * (1 - math.log(p) / spread)), 0) for p, d in sorted(ranked)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backlink_spider.authority",
        description="Write a DOMAIN_AUTHORITY_FILE from a Common Crawl domain-ranks file.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cc = sub.add_parser("common-crawl", help="convert a Common Crawl domain-ranks file (.txt or .txt.gz)")
    cc.add_argument("ranks", help="the domain-ranks file, e.g. cc-main-2025-...-domain-ranks.txt.gz")
    cc.add_argument("--top", type=int, default=0, help="keep the N best-ranked domains (default: all)")
    args = parser.parse_args(argv)
    path = Path(args.ranks)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            scores = common_crawl_scores(handle, args.top)
    except (OSError, ValueError) as exc:
        print(f"authority: error: {path}: {exc}", file=sys.stderr)
        return 1
    write_authority(scores, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
