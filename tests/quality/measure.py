"""Extraction quality on the hand-labelled real-world page set (tests/quality/cases.json).

`python -m tests.quality.measure` prints the figures reported in the README; test_quality.py
asserts the bars.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from backlink_spider.extract.page import PageSnapshot, extract_page
from backlink_spider.matching import BrandMatcher
from backlink_spider.target import Target
from backlink_spider.urls import canonical_url

HERE = Path(__file__).resolve().parent
# the lead fields labelled per person on the lead pages (`leads`), besides the author's name
LEAD_FIELDS = ("author_url", "author_website", "mention_date")
CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))


@dataclass
class Scores:
    pages: int = 0
    expected_links: int = 0
    found_links: int = 0
    matched_links: int = 0
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)
    attribute_hits: Counter = field(default_factory=Counter)
    unlinked_tp: int = 0
    unlinked_fp: int = 0
    unlinked_fn: int = 0
    unlinked_errors: list[str] = field(default_factory=list)
    # the same, on the pages labelled `share_widget` (a share or follow bar whose labels name networks)
    share_pages: int = 0
    share_unlinked: Counter = field(default_factory=Counter)  # tp, fp, fn
    own_site_pages: int = 0
    own_site_links: int = 0
    position_errors: list[str] = field(default_factory=list)
    source_type_hits: int = 0
    source_type_errors: list[str] = field(default_factory=list)
    # lead pages labelled `lead_authors` (who wrote the text naming the brand, one per lead)
    lead_pages: int = 0
    lead_author_hits: int = 0
    lead_author_errors: list[str] = field(default_factory=list)
    # the same pages' `leads` labels: per field, the pages where every lead's value is right
    lead_field_hits: Counter = field(default_factory=Counter)
    lead_field_errors: list[str] = field(default_factory=list)

    @property
    def link_recall(self) -> float:
        return self.matched_links / self.expected_links if self.expected_links else 1.0

    @property
    def link_precision(self) -> float:
        return self.matched_links / self.found_links if self.found_links else 1.0

    @property
    def unlinked_precision(self) -> float:
        found = self.unlinked_tp + self.unlinked_fp
        return self.unlinked_tp / found if found else 1.0

    @property
    def unlinked_recall(self) -> float:
        expected = self.unlinked_tp + self.unlinked_fn
        return self.unlinked_tp / expected if expected else 1.0

    @property
    def lead_author_accuracy(self) -> float:
        return self.lead_author_hits / self.lead_pages if self.lead_pages else 1.0

    def lead_field_accuracy(self, name: str) -> float:
        return self.lead_field_hits[name] / self.lead_pages if self.lead_pages else 1.0

    @property
    def share_unlinked_precision(self) -> float:
        found = self.share_unlinked["tp"] + self.share_unlinked["fp"]
        return self.share_unlinked["tp"] / found if found else 1.0

    @property
    def share_unlinked_recall(self) -> float:
        expected = self.share_unlinked["tp"] + self.share_unlinked["fn"]
        return self.share_unlinked["tp"] / expected if expected else 1.0


def run_case(case: dict):
    target = Target.parse(case["target"], ",".join(case["brand"]) if case.get("brand") else None)
    matcher = BrandMatcher(
        target.brand_terms,
        target.domain_terms,
        case_sensitive=case.get("brand_case") == "sensitive",
        exclude=tuple(case.get("exclude") or ()),
        context=tuple(case.get("context") or ()),
    )
    html = (HERE / "pages" / case["file"]).read_text(encoding="utf-8")
    return extract_page(PageSnapshot(case["url"], html), target, matcher)


def measure() -> Scores:
    scores = Scores()
    for case in CASES:
        scores.pages += 1
        found = run_case(case)
        expected = list(case["backlinks"])
        if Target.parse(case["target"]).owns(case["url"]):
            # A page of the target itself: its links to the target are internal links, which the
            # crawler never reports as backlinks (and its brand words are never mentions).
            scores.own_site_pages += 1
            scores.own_site_links += len(expected)
            expected = []
        got = list(found.backlinks)
        scores.expected_links += len(expected)
        scores.found_links += len(got)
        remaining = list(got)
        for want in expected:
            key = canonical_url(want["url"])
            match = next((g for g in remaining if canonical_url(g.target_url) == key), None)
            if match is None:
                scores.missed.append(f"{case['file']}: {want['url']}")
                continue
            remaining.remove(match)
            scores.matched_links += 1
            scores.attribute_hits["anchor"] += match.anchor_text == want["anchor"]
            scores.attribute_hits["rel"] += match.rel == want["rel"]
            scores.attribute_hits["position"] += match.position == want["position"]
            if match.position != want["position"]:
                scores.position_errors.append(
                    f"{case['file']}: {want['url']} {match.position} (labelled {want['position']})"
                )
            scores.attribute_hits["hidden"] += match.hidden == want["hidden"]
            scores.attribute_hits["link_type"] += match.link_type == want["link_type"]
        scores.false += [f"{case['file']}: {g.target_url}" for g in remaining]
        predicted, truth = found.unlinked, case["unlinked_mention"]
        outcome = "tp" if predicted and truth else "fp" if predicted else "fn" if truth else "tn"
        if outcome != "tn":
            setattr(scores, f"unlinked_{outcome}", getattr(scores, f"unlinked_{outcome}") + 1)
        if case.get("share_widget"):
            scores.share_pages += 1
            scores.share_unlinked[outcome] += 1
        if predicted != truth:
            scores.unlinked_errors.append(
                f"{case['file']}: predicted {predicted}, labelled {truth} "
                f"({[m.matched_text for m in found.mentions]})"
            )
        if "lead_authors" in case:
            # right when the page's leads are exactly the labelled people (None: nobody named)
            scores.lead_pages += 1
            got_authors = sorted(lead.author or "" for lead in found.leads)
            if got_authors == sorted(a or "" for a in case["lead_authors"]):
                scores.lead_author_hits += 1
            else:
                scores.lead_author_errors.append(
                    f"{case['file']}: {[lead.author for lead in found.leads]} "
                    f"(labelled {case['lead_authors']})"
                )
            for name in LEAD_FIELDS:
                got_values = sorted((lead.author or "", getattr(lead, name) or "") for lead in found.leads)
                want = sorted((lead["author"] or "", lead[name] or "") for lead in case["leads"])
                if got_values == want:
                    scores.lead_field_hits[name] += 1
                else:
                    scores.lead_field_errors.append(f"{case['file']} {name}: {got_values} (labelled {want})")
        if found.source_type == case["source_type"]:
            scores.source_type_hits += 1
        else:
            scores.source_type_errors.append(
                f"{case['file']}: {found.source_type} (labelled {case['source_type']}) {found.evidence}"
            )
    return scores


def report(scores: Scores) -> str:
    n = scores.matched_links or 1
    lines = [
        f"pages: {scores.pages}, labelled backlinks: {scores.expected_links} "
        f"(plus {scores.own_site_links} internal links on {scores.own_site_pages} pages of the target "
        "itself, correctly not reported as backlinks)",
        f"backlink recall: {scores.link_recall:.3f}, precision: {scores.link_precision:.3f}",
        "backlink attributes correct: "
        + ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(scores.attribute_hits.items())),
        f"unlinked-mention pages: precision {scores.unlinked_precision:.3f}, "
        f"recall {scores.unlinked_recall:.3f} "
        f"(tp {scores.unlinked_tp}, fp {scores.unlinked_fp}, fn {scores.unlinked_fn})",
        f"unlinked-mention pages with share widgets ({scores.share_pages}): precision "
        f"{scores.share_unlinked_precision:.3f}, recall {scores.share_unlinked_recall:.3f}",
        f"source_type accuracy: {scores.source_type_hits / scores.pages:.2f}",
        f"lead author correct: {scores.lead_author_accuracy:.3f} of {scores.lead_pages} lead pages",
        "lead fields correct on every lead of the page: "
        + ", ".join(f"{name} {scores.lead_field_accuracy(name):.3f}" for name in LEAD_FIELDS),
    ]
    for title, items in (
        ("missed backlinks", scores.missed),
        ("false backlinks", scores.false),
        ("unlinked-mention errors", scores.unlinked_errors),
        ("source_type errors", scores.source_type_errors),
        ("position errors", scores.position_errors),
        ("lead author errors", scores.lead_author_errors),
        ("lead field errors", scores.lead_field_errors),
    ):
        lines += [f"{title}:"] + [f"  {item}" for item in items]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure()))
