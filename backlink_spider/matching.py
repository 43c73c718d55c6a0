"""Brand-mention matching: every brand term found in one pass over a page's visible text.

An Aho-Corasick automaton (pyahocorasick) holds all brand terms, exclusion phrases and context
terms; one scan of the text yields all of them. Matches must sit on Unicode word boundaries, and
a brand name must be a word of prose, not part of an identifier (see `_name_boundary`):
`Ring_Apple`, `@apple_fan`, `apple.txt` and `https://x.example/apple-pie` do not name Apple;
`@apple` (the brand's own handle) and `#apple` (a hashtag) do. Domain forms (`acme.com`) follow
their own rules (`_domain_boundary`) and are found in e-mail addresses and URLs too.

Several brands share one automaton (the target and its competitors, `-a competitors=`): every
brand term and domain form carries its brand's label (the site's host), and each match says whose
it is, so one scan finds every brand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

_BRAND, _DOMAIN, _EXCLUDE, _CONTEXT = "brand", "domain", "exclude", "context"


@dataclass(frozen=True)
class TermMatch:
    """One brand occurrence: `text[start:end] == matched_text`."""

    term: str
    matched_text: str
    start: int
    end: int
    form: str  # name | domain | email | url
    brand: str = ""  # the label of the brand whose term matched (the site's host)


@dataclass(frozen=True)
class Brand:
    """One more brand for a BrandMatcher: its label (the site's host), names and domain forms."""

    label: str
    terms: tuple[str, ...]
    domains: tuple[str, ...] = ()


def _lower_same_length(text: str) -> str:
    """`text.lower()`, keeping offsets: characters whose lower case is longer stay as they are."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _is_word_char(c: str) -> bool:
    return c.isalnum()


class BrandMatcher:
    """Finds brand terms in text.

    `terms`: brand names (matched case-insensitively unless `case_sensitive`); `domains`: domain
    forms of the target (`acme.com`), always case-insensitive and also found inside e-mail
    addresses and URLs; `exclude`: phrases inside which a brand occurrence does not count;
    `context`: when given, a page's matches count only if one of these appears on the page.
    `label` is the brand of `terms` and `domains`; `brands` are more brands found in the same scan
    (case sensitivity, `exclude` and `context` apply to all). Where two brands' terms cover the
    same text, the first brand given wins.
    """

    def __init__(
        self,
        terms: tuple[str, ...],
        domains: tuple[str, ...] = (),
        *,
        case_sensitive: bool = False,
        exclude: tuple[str, ...] = (),
        context: tuple[str, ...] = (),
        label: str = "",
        brands: tuple[Brand, ...] = (),
    ) -> None:
        self.terms = tuple(terms)
        self.domains = tuple(domains)
        self.case_sensitive = case_sensitive
        self.exclude = tuple(exclude)
        self.context = tuple(context)
        self.brands = (Brand(label, self.terms, self.domains), *brands)
        all_terms = [(term, brand.label) for brand in self.brands for term in brand.terms]
        # Two automatons: one over the text as it is (case-sensitive brand terms), one over its
        # lower-cased copy (everything else). Only built when they have something to find.
        self._exact = ahocorasick.Automaton() if case_sensitive and all_terms else None
        self._folded = ahocorasick.Automaton()
        exact: dict[str, list[tuple[str, str, str]]] = {}
        entries: dict[str, list[tuple[str, str, str]]] = {}
        for term, brand in all_terms:
            if case_sensitive:
                exact.setdefault(term, []).append((_BRAND, term, brand))
            else:
                entries.setdefault(term.lower(), []).append((_BRAND, term, brand))
        for brand in self.brands:
            for domain in brand.domains:
                entries.setdefault(domain.lower(), []).append((_DOMAIN, domain, brand.label))
        for phrase in exclude:
            entries.setdefault(phrase.lower(), []).append((_EXCLUDE, phrase, ""))
        for word in context:
            entries.setdefault(word.lower(), []).append((_CONTEXT, word, ""))
        for key, value in exact.items():
            self._exact.add_word(key, value)  # type: ignore[union-attr]
        for key, value in entries.items():
            self._folded.add_word(key, value)
        if self._exact is not None:
            self._exact.make_automaton()
        if entries:
            self._folded.make_automaton()
        self._folded_ready = bool(entries)

    def find(self, text: str) -> list[TermMatch]:
        """All counting brand occurrences in `text`, in order of position."""
        raw: list[tuple[int, int, str, str, str]] = []  # start, end, kind, term, brand
        if self._folded_ready:
            folded = _lower_same_length(text)
            for end_index, values in self._folded.iter(folded):
                for kind, term, brand in values:
                    start = end_index - len(term) + 1
                    raw.append((start, end_index + 1, kind, term, brand))
        if self._exact is not None:
            for end_index, values in self._exact.iter(text):
                for kind, term, brand in values:
                    raw.append((end_index - len(term) + 1, end_index + 1, kind, term, brand))

        excluded: list[tuple[int, int]] = []
        context_seen = not self.context
        candidates: list[tuple[int, int, str, str, str]] = []
        for start, end, kind, term, brand in raw:
            if kind == _DOMAIN:
                if _domain_boundary(text, start, end):
                    candidates.append((start, end, kind, term, brand))
            elif _word_boundary(text, start, end):
                if kind == _EXCLUDE:
                    excluded.append((start, end))
                elif kind == _CONTEXT:
                    context_seen = True
                elif _name_boundary(text, start, end):
                    candidates.append((start, end, kind, term, brand))
        if not context_seen:
            return []
        order = {brand.label: i for i, brand in reversed(list(enumerate(self.brands)))}
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0]), order.get(c[4], 0)))
        matches: list[TermMatch] = []
        last_end = -1
        for start, end, kind, term, brand in candidates:
            if start < last_end:  # overlaps a longer match already taken ("acme" in "acme.com")
                continue
            if any(s <= start and end <= e for s, e in excluded):
                continue
            form = _domain_form(text, start, end) if kind == _DOMAIN else "name"
            matches.append(TermMatch(term, text[start:end], start, end, form, brand))
            last_end = end
        return matches


def _word_boundary(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not _is_word_char(before) and not _is_word_char(after)


# How far around a name to look for the URL or path it may sit in (a token is whitespace-delimited).
_TOKEN_REACH = 256
_HOST_PATH = re.compile(r"[\w-]+(?:\.[\w-]+)+(?::\d+)?/")


def _name_boundary(text: str, start: int, end: int) -> bool:
    """A brand name at text[start:end] (already on word boundaries) is a word of prose, not a
    piece of an identifier: not joined by `_` (`Ring_Apple`, `apple_fan`), not inside a longer
    handle (`@apple-fan`, `@apple.fan`; `@apple` itself and `@apple@mastodon.social` are the
    brand's account and count), not an e-mail local part (`apple@example.com`), not a dotted
    name (`apple.txt`, `com.apple.mail`, `team.apple.example`), not in a URL or a path
    (`https://x.example/apple-pie`, `www.x.example/?q=apple`, `/r/apple`, `C:\\apple`). Only the
    characters around the name decide: a brand term may itself contain any of them."""
    n = len(text)
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < n else " "
    if before == "_" or after == "_":
        return False
    joined_after = end + 1 < n and _is_word_char(text[end + 1])
    if after in ".-" and joined_after and before == "@":
        return False  # a longer handle: @apple-fan, @apple.fan
    if after == "@" and joined_after and before != "@":
        return False  # an e-mail address's local part
    if after == "." and joined_after:
        return False  # a file name or a dotted name: apple.txt, apple.example
    if before == "." and start > 1 and _is_word_char(text[start - 2]):
        return False  # com.apple.mail, team.apple.example
    # the whitespace-delimited token the name sits in, up to the name
    left = start
    floor = max(0, start - _TOKEN_REACH)
    while left > floor and not text[left - 1].isspace():
        left -= 1
    prefix = text[left:start]
    if not prefix:
        return True
    if "://" in prefix or "\\" in prefix or prefix.lower().lstrip("(<[\"'").startswith("www."):
        return False
    bare = prefix.lstrip("(<[\"'")
    return not (bare.startswith(("/", "~/", "./", "../")) or _HOST_PATH.match(bare))


def _domain_boundary(text: str, start: int, end: int) -> bool:
    """A domain form is a whole host: `www.acme.com`, `x@acme.com` and `acme.com/path` count;
    `notacme.com` and `acme.com.evil.net` do not."""
    before = text[start - 1] if start > 0 else " "
    if _is_word_char(before) or before == "-":
        return False
    rest = text[end : end + 2]
    if not rest:
        return True
    if _is_word_char(rest[0]) or rest[0] == "-":
        return False
    if rest[0] == "." and len(rest) > 1 and _is_word_char(rest[1]):
        return False  # acme.com.evil.net
    return True


def _domain_form(text: str, start: int, end: int) -> str:
    """How a domain-form mention is written: inside an e-mail address, inside a URL, or bare."""
    i = start
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in ".-_+%@/:"):
        i -= 1
    prefix = text[i:start]
    after = text[end : end + 1]
    if "@" in prefix and "/" not in prefix:
        return "email"
    if "://" in prefix or prefix.lower().startswith("www.") or after in ("/", "?", "#", ":"):
        return "url"
    return "domain"
