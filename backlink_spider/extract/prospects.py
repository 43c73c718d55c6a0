"""Prospects: pages that invite a link ("write for us" pages, resource pages, roundups).

Pure functions, no Scrapy: `ProspectFinder(target, competitors).classify(root, found)` reads a
page already extracted by `extract_page` (its title, main text and links) plus its parsed tree
(headings, forms) and says what kind of prospect it is and why (`evidence`), or None.
Its niche relevance is quality.page_relevance (the page against the target's own pages in
linkcheck.TargetIndex); `niche_terms(index)` are the words of the target's pages that prospect
queries are built from.

Kinds, strongest first (a page has one):
* `write_for_us`: an invitation to contribute in the title, a heading or the URL ("Write for
  us", "Gastbeitrag einreichen", "Écrire pour nous", "Escribe para nosotros", ...) and one more
  signal (guest-post words in the main text, a submission form, another invitation).
* `resource_page`: "Resources", "Useful links", "Liens utiles", ... in the title or a heading,
  with at least `min_links` other sites linked in the main content, and not a link farm.
* `roundup`: "best ...", "top 10 ...", "die besten", "meilleurs", "mejores" in the title or a
  heading, naming at least two brands of the niche (the target, the competitors) or linking at
  least `min_sites` other sites in the main content.
A page with OUTBOUND_FARM (quality.py) or more links to other sites is a link farm: never a
prospect.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from backlink_spider.extract.contacts import Contacts, find_contacts
from backlink_spider.extract.dom import WalkedPage, xpath
from backlink_spider.extract.page import PageExtraction
from backlink_spider.extract.share import SHARE
from backlink_spider.linkcheck import TargetIndex, words
from backlink_spider.quality import OUTBOUND_FARM
from backlink_spider.target import Target, host_of, registered_domain

WRITE_FOR_US, RESOURCE_PAGE, ROUNDUP = "write_for_us", "resource_page", "roundup"


def fold(text: str) -> str:
    """Lower case without accents, whitespace collapsed (`Écrire  pour` -> `ecrire pour`)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _phrases(*phrases: str) -> re.Pattern[str]:
    """One pattern over folded text matching any phrase as whole words (a plural `s` too)."""
    alternatives = "|".join(re.escape(fold(p)).replace(r"\ ", r"[\s-]+") for p in phrases)
    return re.compile(rf"(?<!\w)(?:{alternatives})s?(?!\w)")


# Invitations to contribute (title, heading, URL): en, de, fr, es.
INVITATION = _phrases(
    "write for us",
    "write for our blog",
    "contribute",
    "become a contributor",
    "contributors wanted",
    "guest authors wanted",
    "submit a guest post",
    "submit a guest article",
    "submit an article",
    "guest post guidelines",
    "guest posting guidelines",
    "contributor guidelines",
    "accepting guest posts",
    "schreib für uns",
    "schreiben sie für uns",
    "gastbeitrag einreichen",
    "gastbeiträge",
    "gastautor werden",
    "autor werden",
    "écrire pour nous",
    "écrivez pour nous",
    "rédiger pour nous",
    "devenir contributeur",
    "proposer un article",
    "proposez un article",
    "escribe para nosotros",
    "escribir para nosotros",
    "colabora con nosotros",
    "envía tu artículo",
    "artículos invitados",
)
# URL slugs of such pages.
INVITATION_PATH = re.compile(
    r"(?:^|/)(write-for-us|writeforus|guest-posts?|guest-posting|contribute|contributors?|"
    r"submit-(?:a-)?(?:guest-)?(?:post|article)|gastbeitrag|gastautor|ecrire-pour-nous|"
    r"escribe-para-nosotros|colabora)(?=[-/.]|$)"
)  # (a path segment that starts with one: /guest-post-guidelines/, not /my-first-guest-post/)
# Words of guest-post guidelines in the main text.
GUEST_WORDS = _phrases(
    "guest post",
    "guest article",
    "guest author",
    "guest contributor",
    "guidelines",
    "pitch",
    "gastbeitrag",
    "gastartikel",
    "gastautor",
    "richtlinien",
    "article invité",
    "rédacteur invité",
    "consignes",
    "artículo invitado",
    "artículos invitados",
    "post invitado",
    "autor invitado",
    "pautas",
)
RESOURCE = _phrases(
    "resources",
    "links",
    "useful links",
    "helpful links",
    "recommended links",
    "recommended sites",
    "link list",
    "links we like",
    "further reading",
    "blogroll",
    "linkliste",
    "nützliche links",
    "linktipps",
    "ressourcen",
    "liens utiles",
    "ressources",
    "sites recommandés",
    "enlaces útiles",
    "enlaces recomendados",
    "recursos",
)
ROUNDUP_TITLE = re.compile(
    r"(?<!\w)(?:best|top\s+\d+|\d+\s+best|top-rated|die\s+besten|beste[nr]?|meilleur(?:e|s|es)?|"
    r"mejor(?:es)?)(?!\w)"
)
# Words that are everywhere in prose, not the niche's (on top of linkcheck.STOPWORDS).
COMMON_WORDS = frozenset(
    "we us can not but if all more also than then so do does just one two any each their they them there "
    "these those into out up about over only very get use used new like make most every other some such "
    "per may our re ve ll".split()
)
NICHE_TERMS = 40  # the target's niche vocabulary: its pages' most used words


@dataclass
class ProspectMatch:
    """What the classifier says about a page."""

    kind: str
    evidence: list[str]
    competitors: list[str] = field(default_factory=list)  # competitor hosts it names or links
    links_to_target: bool = False  # it links to the target already (share buttons aside)


@dataclass
class _Page:
    """What the kinds look at."""

    url: str
    title: str
    headings: list[str]  # the main h1/h2 texts
    content: str  # the main text, folded
    sites: set[str]  # other sites linked (visibly) in the main content
    named: list[str]  # the hosts of the brands it names in its content (target first when named)
    root: object  # the parsed page (its forms)


def _clip(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _headings(root) -> list[str]:  # noqa: ANN001
    if root is None:
        return []
    out = []
    # (not a sidebar's or footer's widget titles: "Blogroll" in a sidebar is not the page's subject)
    outside = "not(ancestor::aside or ancestor::nav or ancestor::footer)"
    for heading in xpath(root, f"//h1[{outside}] | //h2[{outside}]")[:12]:
        text = " ".join("".join(heading.itertext()).split())
        if text:
            out.append(text)
    return out


def _submission_form(root) -> bool:  # noqa: ANN001
    """A form a contributor fills in: a text area or a file upload, and not a search, login,
    comment or checkout form."""
    if root is None:
        return False
    for form in xpath(root, "//form"):
        marks = fold(" ".join(str(v) for v in xpath(form, "@id | @class | @action | @role | .//@name")))
        if re.search(r"search|login|comment|checkout|payment|card|cart|billing|newsletter", marks):
            continue
        if xpath(form, ".//textarea | .//input[@type='file']"):
            return True
    return False


def _first_hit(pattern: re.Pattern[str], texts: list[str]) -> str | None:
    return next((t for t in texts if pattern.search(fold(t))), None)


class ProspectFinder:
    """Classifies crawled pages as prospects of one target (and its competitors, when known)."""

    def __init__(
        self,
        target: Target,
        competitors: Sequence[Target] = (),
        *,
        min_links: int,
        min_sites: int,
    ) -> None:
        self.target = target
        self.competitors = tuple(competitors)
        self.min_links = min_links
        self.min_sites = min_sites

    def classify(self, root, url: str, found: PageExtraction) -> ProspectMatch | None:  # noqa: ANN001
        """The page's prospect kind and evidence, or None (not a prospect, or a link farm)."""
        if self.target.owns(url) or any(c.owns(url) for c in self.competitors):
            return None  # the target's or a competitor's own page
        external = [link for link in found.links if not link.internal]
        if len(external) >= OUTBOUND_FARM:  # a link farm (the quality score's own threshold)
            return None
        # the brands it names and the competitors it links, from extract_page's one pass over the
        # page (the target's and the competitors' brand terms in one automaton)
        named = list(
            dict.fromkeys(
                m.site or self.target.host
                for m in (*found.mentions, *found.competitor_mentions)
                if m.position == "content"
            )
        )
        linked = [b.site for b in found.competitor_backlinks if b.position != SHARE]
        competitors = list(dict.fromkeys(linked + [h for h in named if h != self.target.host]))
        page = _Page(
            url=url,
            title=found.title or "",
            headings=_headings(root),
            content=fold(found.content_text),
            sites={
                registered_domain(host_of(link.url))
                for link in external
                if link.position == "content" and not link.hidden
            },
            named=named,
            root=root,
        )
        for kind, judge in (
            (WRITE_FOR_US, self._write_for_us),
            (RESOURCE_PAGE, self._resource),
            (ROUNDUP, self._roundup),
        ):
            evidence = judge(page)
            if evidence:
                linked_target = any(b.position != SHARE for b in found.backlinks)
                return ProspectMatch(kind, evidence, competitors, linked_target)
        return None

    # --- the kinds: each returns its evidence, or [] --------------------------------------------

    def _write_for_us(self, page: _Page) -> list[str]:
        strong = []
        if INVITATION.search(fold(page.title)):
            strong.append(f"title: {_clip(page.title)}")
        heading = _first_hit(INVITATION, page.headings)
        if heading and fold(heading) not in fold(page.title):  # (not the title again)
            strong.append(f"heading: {_clip(heading)}")
        slug = INVITATION_PATH.search(unquote(urlsplit(page.url).path).lower())
        if slug:
            strong.append(f"url: {slug.group(1)}")
        if not strong:
            return []
        support = []
        words_found: dict[str, str] = {}  # (one entry for "guest post" and "guest posts")
        for m in GUEST_WORDS.finditer(page.content):
            words_found.setdefault(m.group(0).removesuffix("s"), m.group(0))
        if words_found:
            support.append("text: " + ", ".join(list(words_found.values())[:4]))
        if _submission_form(page.root):
            support.append("form: submission")
        return strong + support if len(strong) + len(support) >= 2 else []

    def _resource(self, page: _Page) -> list[str]:
        if len(page.sites) < self.min_links:
            return []
        hit = _title_or_heading(RESOURCE, page)
        return [hit, f"links: {len(page.sites)} sites in content"] if hit else []

    def _roundup(self, page: _Page) -> list[str]:
        hit = _title_or_heading(ROUNDUP_TITLE, page)
        if hit is None:
            return []
        evidence = [hit]
        if len(page.named) >= 2:
            evidence.append("names: " + ", ".join(page.named))
        if len(page.sites) >= self.min_sites:
            evidence.append(f"links: {len(page.sites)} sites in content")
        return evidence if len(evidence) > 1 else []


def _title_or_heading(pattern: re.Pattern[str], page: _Page) -> str | None:
    """The evidence of `pattern` in the title, else in a main heading, else None."""
    if pattern.search(fold(page.title)):
        return f"title: {_clip(page.title)}"
    heading = _first_hit(pattern, page.headings)
    return f"heading: {_clip(heading)}" if heading else None


# --- niche relevance ------------------------------------------------------------------------------


def niche_terms(
    index: TargetIndex, exclude: Sequence[str] = (), limit: int | None = NICHE_TERMS
) -> dict[str, int]:
    """The target's niche vocabulary: the words its own indexed pages use most (in how many
    pages, then how often), brand words and common words left out; word -> pages using it."""
    excluded = {w for term in exclude for w in words(term)} | COMMON_WORDS
    pages: Counter[str] = Counter()
    uses: Counter[str] = Counter()
    for page in index.pages.values():
        terms = page.head + page.body
        pages.update(set(terms))
        uses.update(terms)
    ranked = sorted(
        (t for t in pages if t not in excluded and len(t) > 2), key=lambda t: (-pages[t], -uses[t], t)
    )
    return {t: pages[t] for t in ranked[:limit]}


def page_contacts(root, found: PageExtraction, exclude_domains: tuple[str, ...]) -> Contacts:  # noqa: ANN001
    """The contacts of a prospect page (extract/contacts.py, as for a lead): e-mails, the contact
    page, the site's social profiles; addresses on `exclude_domains` left out."""
    if found.contacts is not None:  # a lead or gap page: extract_page found them already
        return found.contacts
    links = [(link.url, link.anchor_text, link.position, link.internal) for link in found.links]
    return find_contacts(root, WalkedPage(text=found.text), links, exclude_domains=exclude_domains)


def niche_relevance(
    index: TargetIndex, title: str | None, content_text: str, exclude: Sequence[str] = ()
) -> float | None:
    """How much a page is about the target's niche, 0-1: the cosine of the page's words (title and
    main text; log-scaled counts) with the target's niche terms (`niche_terms`, each weighted by
    how many of the target's pages use it). None when no page of the target is indexed.

    Not the quality score's `page_relevance` (the best-matching single target page): a prospect
    is judged against the niche as a whole, so that the target's contact or legal page does not
    make every other site's contact or legal page look relevant."""
    niche = niche_terms(index, exclude)
    if not niche:
        return None
    counts = Counter(t for t in words(f"{title or ''} {content_text}")[:3000] if t not in COMMON_WORDS)
    page = {t: 1 + math.log(c) for t, c in counts.items()}
    dot = sum(weight * page.get(t, 0.0) for t, weight in niche.items())
    norm = math.sqrt(sum(w * w for w in niche.values())) * math.sqrt(sum(v * v for v in page.values()))
    return round(dot / norm, 3) if norm else 0.0


# The prospect queries asked of the search sources, for each niche term in turn (PROSPECT_QUERIES).
QUERY_SHAPES = ('"{term}" "write for us"', '"{term}" "guest post"', '"{term}" "useful links"', "best {term}")


def prospect_queries(terms: Sequence[str], limit: int) -> list[str]:
    """Search queries that find pages inviting a link in the target's niche, at most `limit`:
    `"kettle" "write for us"`, `"kettle" "guest post"`, `"kettle" "useful links"`, `best kettle`,
    then the same for the next niche term."""
    return [shape.format(term=term) for term in terms for shape in QUERY_SHAPES][:limit]
