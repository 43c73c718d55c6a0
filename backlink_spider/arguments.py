"""Spider arguments (`-a name=value`): parsed and checked before any request is made.

A bad argument raises ArgumentError with a one-line message; the `crawl` command prints it and
exits with status 2 (see commands/crawl.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from backlink_spider.matching import BrandMatcher
from backlink_spider.render import RENDER_MODES
from backlink_spider.target import Target, TargetError, parse_terms


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is shown to the user as is."""


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
    """Seeds from a file of URLs (one per line, `#` comments) or a comma-separated list."""
    if value is None or not str(value).strip():
        raise ArgumentError("missing -a seeds=FILE_OR_URLS (a file of URLs, or comma-separated URLs)")
    value = str(value).strip()
    path = Path(value)
    looks_like_url = "://" in value
    if not looks_like_url and path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ArgumentError(f"-a seeds={value}: cannot read the file: {exc}") from None
        lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        items = [line for line in lines if line]
        where = f"{value}: "
    elif (
        not looks_like_url and ("/" in value or value.endswith((".txt", ".csv", ".lst"))) and "," not in value
    ):
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
        if not ok:
            raise ArgumentError(f"-a seeds: {where}{item!r} is not an http(s) URL")
        if item not in seeds:
            seeds.append(item)
    if not seeds:
        raise ArgumentError(f"-a seeds={value}: no URLs in it")
    return seeds


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

    @classmethod
    def parse(cls, kwargs: dict[str, object], *, seeds_optional: bool = False) -> CrawlArguments:
        """Check `-a` arguments; raises ArgumentError with a one-line message."""
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
            "_job",
        }
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ArgumentError(
                f"unknown argument -a {unknown[0]}=... (known: target, brand, seeds, depth, render, "
                "brand_case, exclude, context, check_links, max_pages)"
            )
        try:
            target = Target.parse(_str(kwargs.get("target")), _str(kwargs.get("brand")))
        except TargetError as exc:
            raise ArgumentError(str(exc)) from None
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
        return cls(
            target=target,
            # with search discovery configured, the search results can be the only seeds
            seeds=tuple(parse_seeds(_str(kwargs.get("seeds"))))
            if kwargs.get("seeds") or not seeds_optional
            else (),
            depth=depth,
            render=render,
            case_sensitive=case == "sensitive",
            exclude=parse_terms(_str(kwargs.get("exclude"))),
            context=parse_terms(_str(kwargs.get("context"))),
            check_links=_bool("check_links", _str(kwargs.get("check_links")), True),
            max_pages=_count("max_pages", _str(kwargs.get("max_pages"))),
        )

    def matcher(self) -> BrandMatcher:
        return BrandMatcher(
            self.target.brand_terms,
            self.target.domain_terms,
            case_sensitive=self.case_sensitive,
            exclude=self.exclude,
            context=self.context,
        )


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

    def matcher(self) -> BrandMatcher:
        return BrandMatcher(self.target.brand_terms, self.target.domain_terms)
