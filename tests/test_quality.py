"""The extraction quality bar, measured on 76 hand-labelled real-world pages (tests/quality/)."""

import pytest

from tests.quality.measure import LEAD_FIELDS, measure, report


@pytest.fixture(scope="module")
def scores():
    result = measure()
    print(report(result))
    return result


def test_every_link_to_the_target_is_found_and_no_false_ones(scores):
    assert scores.missed == [] and scores.false == []
    assert (scores.link_recall, scores.link_precision) == (1.0, 1.0)
    assert scores.own_site_pages == 2


def test_unlinked_mention_pages_precision_and_recall(scores):
    assert scores.unlinked_precision >= 0.95, scores.unlinked_errors
    assert scores.unlinked_recall >= 0.95, scores.unlinked_errors


def test_unlinked_mention_pages_with_share_widgets(scores):
    """Share bars name networks ("Share on Reddit"): they make no page an unlinked mention of
    one, and a share button is no link from the author."""
    assert scores.share_pages == 22
    assert scores.share_unlinked_precision >= 0.95, scores.unlinked_errors
    assert scores.share_unlinked_recall >= 0.95, scores.unlinked_errors


def test_backlink_attributes(scores):
    n = scores.matched_links
    assert {k: v / n for k, v in scores.attribute_hits.items() if k in ("anchor", "rel", "hidden")} == {
        "anchor": 1.0,
        "rel": 1.0,
        "hidden": 1.0,
    }
    assert scores.attribute_hits["position"] / n >= 0.95, scores.position_errors
    assert scores.attribute_hits["link_type"] / n >= 0.95


def test_source_types(scores):
    assert scores.source_type_hits / scores.pages >= 0.9, scores.source_type_errors


def test_lead_authors(scores):
    """A lead is the person who wrote the text naming the brand: the reply's author on a forum,
    the commenter under a blog post, the owner of a social profile; one lead per person."""
    assert scores.lead_pages == 32
    assert scores.lead_author_accuracy >= 0.95, scores.lead_author_errors


@pytest.mark.parametrize("name", LEAD_FIELDS)
def test_lead_profile_url_website_and_mention_date(scores, name):
    """The lead's profile page, own website and normalised mention date (ISO 8601) are those the
    page gives, and none it does not give (labelled per person on the lead pages)."""
    assert scores.lead_field_accuracy(name) >= 0.95, scores.lead_field_errors
