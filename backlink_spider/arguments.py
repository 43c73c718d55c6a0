"""Spider arguments (`-a name=value`): parsed and checked before any request is made.

A bad argument raises ArgumentError with a one-line message; the `crawl` command prints it and
exits with status 2 (see commands/crawl.py).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from backlink_spider.exports import Export, ExportError, read_export, sniff_export
from backlink_spider.matching import Brand, BrandMatcher
from backlink_spider.render import RENDER_MODES
from backlink_spider.target import Target, TargetError, parse_terms


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is shown to the user as is."""


# How much of a rejected input line an error message shows: a credentials file passed by mistake
# must not end up in logs.
EXCERPT_CHARS = 12


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` quoted for an error message, cut after `limit` characters ("…" marks the cut)."""
    text = str(text)
    return repr(text) if len(text) <= limit else repr(text[:limit] + "…")


# Crawl ids name output files (OUTPUT_DIR/<type>/dt=.../<crawl_id>-<part>.jsonl): one path
# component. Scrapyd's job ids (hex or uuid strings) fit.
CRAWL_ID_CHARS = re.compile(r"[A-Za-z0-9._-]{1,128}")


def check_crawl_id(value: object, name: str = "CRAWL_ID") -> None:
    """Raises ArgumentError unless `value` is empty or a usable crawl id: letters, digits, `.`,
    `_` and `-`, at most 128 characters, not starting with `.` and without `..`."""
    if value is None or value == "":
        return
    text = str(value)
    if not CRAWL_ID_CHARS.fullmatch(text) or text.startswith(".") or ".." in text:
        raise ArgumentError(
            f"{name}={excerpt(text, 40)}: a crawl id is 1 to 128 letters, digits, '.', '_' or '-', "
            "not starting with '.' and without '..'"
        )


_HOST_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOST_PATTERN = re.compile(rf"(\*\.)?{_HOST_LABEL}(\.{_HOST_LABEL})*\.?")


def parse_host_aliases(value: object) -> dict[str, str]:
    """`HOST_ALIASES` (a dict, or its JSON text as given with -s): {host or `*.domain`: http(s)
    origin}. Raises ArgumentError naming the problem."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ArgumentError(
                f'HOST_ALIASES: not valid JSON ({exc}); expected {{"host": "http://origin:port"}}'
            ) from None
    if not isinstance(value, Mapping):
        raise ArgumentError(
            f'HOST_ALIASES: expected a JSON object {{"host": "http://origin:port"}}, '
            f"not {type(value).__name__}"
        )
    aliases: dict[str, str] = {}
    for host, base in dict(value).items():
        key = str(host).strip().lower()
        if not _is_host_pattern(key):
            raise ArgumentError(
                f"HOST_ALIASES: key {excerpt(key, 60)} is not a host name, IP address or *.domain pattern"
            )
        problem = _origin_problem(base)
        if problem:
            raise ArgumentError(
                f"HOST_ALIASES[{key!r}]: {problem}; expected an origin like http://10.0.0.5:8080"
            )
        aliases[key] = str(base).strip()
    return aliases


def _is_host_pattern(key: str) -> bool:
    if len(key) > 255:
        return False
    try:
        ipaddress.ip_address(key.strip("[]"))
        return True
    except ValueError:
        return bool(_HOST_PATTERN.fullmatch(key))


def _origin_problem(base: object) -> str | None:
    if not isinstance(base, str):
        return f"{type(base).__name__} is not a URL"
    try:
        parts = urlsplit(base.strip())
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return f"{excerpt(base, 60)} is not a URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{excerpt(base, 60)} is not an http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "the origin must not hold a user name or password"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{excerpt(base, 60)} has a path, query or fragment"
    return None


def _bool(name: str, value: str | bool | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ArgumentError(f"-a {name}={value!r}: expected true or false")


def parse_seeds(value: str | None) -> list[str]:
    """Seeds from a file of URLs (one per line, `#` comments), a vendor's backlink export, or a
    comma-separated list."""
    return read_seeds(value)[0]


def read_seeds(value: str | None) -> tuple[list[str], Export | None]:
    """(seed URLs, the vendor export they come from or None). A file is a vendor's backlink
    export when its header row says so (exports.sniff_export): its linking pages are the seeds
    and its claims are checked against the live pages."""
    if value is None or not str(value).strip():
        raise ArgumentError("missing -a seeds=FILE_OR_URLS (a file of URLs, or comma-separated URLs)")
    value = str(value).strip()
    path = Path(value)
    looks_like_url = "://" in value
    if not looks_like_url and path.is_file():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ArgumentError(f"-a seeds={value}: cannot read the file: {exc}") from None
        if sniff_export(data):
            try:
                export = read_export(data, path.name)
            except ExportError as exc:
                raise ArgumentError(f"-a seeds={value}: {exc}") from None
            seeds = list(dict.fromkeys(claim.source_url for claim in export.claims))
            if not seeds:
                raise ArgumentError(f"-a seeds={value}: a {export.vendor} export with no linking pages in it")
            return seeds, export
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ArgumentError(f"-a seeds={value}: cannot read the file: {exc}") from None
        lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        items = [line for line in lines if line]
        where = f"{value}: "
    elif (
        not looks_like_url and ("/" in value or value.endswith((".txt", ".csv", ".lst"))) and "," not in value
    ):
        # `www.example.com/blog`: a URL without its scheme, not a missing file (the first path
        # part is a dotted host name, not a file name like seeds.txt)
        host = value.split("/", 1)[0]
        if (
            "/" in value
            and "." in host.strip(".")
            and _HOST_PATTERN.fullmatch(host.lower())
            and not host.lower().endswith((".txt", ".csv", ".lst", ".tsv", ".xml", ".gz"))
        ):
            raise ArgumentError(f"-a seeds={value}: no such file (did you mean https://{value}?)")
        raise ArgumentError(f"-a seeds={value}: no such file")
    else:
        items = [item.strip() for item in value.split(",") if item.strip()]
        where = ""
    seeds: list[str] = []
    for item in items:
        try:
            parts = urlsplit(item)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            ok = False
        if not ok:  # (only an excerpt: a credentials file given by mistake must not be echoed)
            raise ArgumentError(f"-a seeds: {where}{excerpt(item)} is not an http(s) URL")
        if item not in seeds:
            seeds.append(item)
    if not seeds:
        raise ArgumentError(f"-a seeds={value}: no URLs in it")
    return seeds, None


@dataclass(frozen=True)
class CrawlArguments:
    """The `mentions` spider's arguments, checked."""

    target: Target
    seeds: tuple[str, ...]
    depth: int
    render: str
    case_sensitive: bool
    exclude: tuple[str, ...]
    context: tuple[str, ...]
    check_links: bool = True
    max_pages: int | None = None
    # discovery: None = the default sources (DISCOVERY_SOURCES and keyed sources with a key)
    sources: tuple[str, ...] | None = None
    since: date | None = None
    wikis: tuple[str, ...] | None = None
    # the vendor export the seeds come from (its claims are verified on the live pages)
    export: Export | None = field(default=None, compare=False, repr=False)
    # -a competitors=: sites matched in the same pass as the target (records with role competitor)
    competitors: tuple[Target, ...] = ()

    @classmethod
    def parse(
        cls, kwargs: dict[str, object], *, seeds_optional: bool = True, competitors_max: int | None = None
    ) -> CrawlArguments:
        """Check `-a` arguments; raises ArgumentError with a one-line message. `competitors_max`:
        the COMPETITORS_MAX setting (None: no cap)."""
        known = {
            "target",
            "brand",
            "seeds",
            "depth",
            "render",
            "brand_case",
            "exclude",
            "context",
            "check_links",
            "max_pages",
            "sources",
            "since",
            "wikis",
            "competitors",
            "_job",
        }
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ArgumentError(
                f"unknown argument -a {unknown[0]}=... (known: target, brand, seeds, depth, render, "
                "brand_case, exclude, context, check_links, max_pages, sources, since, wikis, competitors)"
            )
        try:
            target = Target.parse(_str(kwargs.get("target")), _str(kwargs.get("brand")))
        except TargetError as exc:
            raise ArgumentError(str(exc)) from None
        competitors = parse_competitors(_str(kwargs.get("competitors")), target, competitors_max)
        depth_text = _str(kwargs.get("depth")) or "1"
        try:
            depth = int(depth_text)
        except ValueError:
            depth = -1
        if depth < 0:
            raise ArgumentError(f"-a depth={depth_text!r}: expected a whole number of link hops, 0 or more")
        render = (_str(kwargs.get("render")) or "auto").lower()
        if render not in RENDER_MODES:
            raise ArgumentError(f"-a render={render!r}: expected one of {', '.join(RENDER_MODES)}")
        case = (_str(kwargs.get("brand_case")) or "insensitive").lower()
        if case not in ("insensitive", "sensitive"):
            raise ArgumentError(f"-a brand_case={case!r}: expected insensitive or sensitive")
        sources = _sources(_str(kwargs.get("sources")))
        seeds, export = (
            read_seeds(_str(kwargs.get("seeds"))) if kwargs.get("seeds") or not seeds_optional else ((), None)
        )
        if export is not None:  # (Search Console lists the site itself among its linking sites)
            seeds = [url for url in seeds if not target.owns(url)]
        seeds = tuple(seeds)
        if not seeds and sources == ():
            raise ArgumentError(
                "nothing to crawl: -a sources=none turns discovery off, so give -a seeds=FILE_OR_URLS"
            )
        return cls(
            target=target,
            # without seeds, what the discovery sources find is the crawl
            seeds=seeds,
            export=export,
            sources=sources,
            since=_date("since", _str(kwargs.get("since"))),
            wikis=tuple(parse_terms(_str(kwargs.get("wikis")))) or None,
            depth=depth,
            render=render,
            case_sensitive=case == "sensitive",
            exclude=parse_terms(_str(kwargs.get("exclude"))),
            context=parse_terms(_str(kwargs.get("context"))),
            check_links=_bool("check_links", _str(kwargs.get("check_links")), True),
            max_pages=_count("max_pages", _str(kwargs.get("max_pages"))),
            competitors=competitors,
        )

    def describe(self, sources: list[str] | None = None) -> dict:
        """What the crawl was asked, for the summary record and the report (`sources`: the
        discovery sources that ran)."""
        kind = f"export:{self.export.vendor}" if self.export else ("urls" if self.seeds else None)
        return {
            "target": self.target.host,
            "brand_terms": list(self.target.brand_terms),
            "brand_case": "sensitive" if self.case_sensitive else "insensitive",
            "exclude": list(self.exclude),
            "context": list(self.context),
            "seeds": len(self.seeds),
            "seed_kind": kind,
            "depth": self.depth,
            "render": self.render,
            "sources": sources or [],
            "since": self.since.isoformat() if self.since else None,
            "max_pages": self.max_pages,
            "check_links": self.check_links,
            "competitors": {c.host: list(c.brand_terms) for c in self.competitors},
        }

    def matcher(self) -> BrandMatcher:
        """One matcher for the target's and every competitor's brand terms (labelled by host)."""
        return BrandMatcher(
            self.target.brand_terms,
            self.target.domain_terms,
            case_sensitive=self.case_sensitive,
            exclude=self.exclude,
            context=self.context,
            label=self.target.host,
            brands=tuple(Brand(c.host, c.brand_terms, c.domain_terms) for c in self.competitors),
        )


def parse_competitors(value: str | None, target: Target, limit: int | None) -> tuple[Target, ...]:
    """`-a competitors=rival-a.com,rival-b.com:Rival B|RivalB`: comma-separated sites, each parsed
    like the target (a domain or URL of it), optionally followed by `:` and its brand names
    separated by `|` (default: derived from the host, as for the target). At most `limit` sites;
    none may be, contain or sit inside the target or another competitor. Raises ArgumentError."""
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    if limit is not None and len(items) > limit:
        raise ArgumentError(
            f"-a competitors: {len(items)} sites given, at most {limit} (the COMPETITORS_MAX setting)"
        )
    competitors: list[Target] = []
    for item in items:
        scheme, sep, rest = item.rpartition("://")
        site, colon, names = rest.partition(":")
        if names.split("/", 1)[0].isdigit():  # a port (host:8080/...), not brand names
            site, colon, names = rest, "", ""
        brand = ",".join(n for n in names.split("|")) if colon else None
        if colon and not parse_terms(brand):
            raise ArgumentError(f"-a competitors: {excerpt(item, 60)} has an empty brand list after ':'")
        try:
            competitor = Target.parse(scheme + sep + site, brand, what="competitor")
        except TargetError as exc:
            raise ArgumentError(f"-a competitors: {exc}") from None
        if competitor.host == target.host:
            raise ArgumentError(f"-a competitors: {competitor.host} is the target itself")
        if target.owns_host(competitor.host) or competitor.owns_host(target.host):
            raise ArgumentError(
                f"-a competitors: {competitor.host} overlaps the target {target.host} (one is a subdomain "
                "of the other)"
            )
        for other in competitors:
            if other.owns_host(competitor.host) or competitor.owns_host(other.host):
                raise ArgumentError(f"-a competitors: {competitor.host} is given twice (as {other.host})")
        competitors.append(competitor)
    return tuple(competitors)


def _sources(value: str | None) -> tuple[str, ...] | None:
    """`-a sources=a,b` (names are checked when the sources are built), `none`, or None."""
    if value is None or not value.strip():
        return None
    names = tuple(n.strip().lower() for n in value.split(",") if n.strip())
    return () if names == ("none",) else names


def _date(name: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ArgumentError(f"-a {name}={excerpt(value, 20)}: expected a date, YYYY-MM-DD") from None


def _count(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ArgumentError(f"-a {name}={value!r}: expected a whole number, 0 or more")
    return number


def _str(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class RecheckArguments:
    """The `recheck` spider's arguments: `-a target=`, `-a known=PATH_OR_DB`, `-a render=`."""

    target: Target
    known: str
    render: str
    links: dict[str, list[dict]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, kwargs: dict[str, object]) -> RecheckArguments:
        unknown = sorted(set(kwargs) - {"target", "known", "render", "_job"})
        if unknown:
            raise ArgumentError(f"unknown argument -a {unknown[0]}=... (known: target, known, render)")
        try:
            target = Target.parse(_str(kwargs.get("target")))
        except TargetError as exc:
            raise ArgumentError(str(exc)) from None
        known = _str(kwargs.get("known"))
        if not known:
            raise ArgumentError(
                "missing -a known=PATH_OR_DB (an output directory, a .duckdb file or a postgresql:// DSN)"
            )
        render = (_str(kwargs.get("render")) or "auto").lower()
        if render not in RENDER_MODES:
            raise ArgumentError(f"-a render={render!r}: expected one of {', '.join(RENDER_MODES)}")
        from backlink_spider.known import KnownError, load_known_backlinks

        try:
            links = load_known_backlinks(known, target)
        except KnownError as exc:
            raise ArgumentError(str(exc)) from None
        if not links:
            raise ArgumentError(f"-a known={known}: no backlinks of {target.host} in it")
        return cls(target=target, known=known, render=render, links=links)

    def describe(self, sources: list[str] | None = None) -> dict:
        """What the recheck was asked, for the summary record and the report."""
        return {
            "target": self.target.host,
            "known": self.known,
            "render": self.render,
            "links": len(self.links),
        }

    def matcher(self) -> BrandMatcher:
        return BrandMatcher(self.target.brand_terms, self.target.domain_terms)
