from backlink_spider.matching import BrandMatcher


def found(matcher, text):
    return [(m.matched_text, m.form) for m in matcher.find(text)]


def test_word_boundaries_are_unicode_aware():
    m = BrandMatcher(("Acme",))
    assert found(m, "Acme's kettle, (acme) and ACME-based tools") == [
        ("Acme", "name"),
        ("acme", "name"),
        ("ACME", "name"),
    ]
    assert found(m, "Acmeé, Acme2, éAcme and Acmes are other words") == []


def test_case_sensitive_brands_that_are_common_words():
    m = BrandMatcher(("Notion",), ("notion.so",), case_sensitive=True)
    assert found(m, "I had a notion. Notion is great; see notion.so or NOTION.SO") == [
        ("Notion", "name"),
        ("notion.so", "domain"),
        ("NOTION.SO", "domain"),
    ]


def test_exclusions_and_context():
    m = BrandMatcher(("Apple",), exclude=("apple pie", "apple tree"), context=("iphone", "mac"))
    assert found(m, "Apple pie under the apple tree") == []
    assert found(m, "Apple Watch and apple pie") == []  # no context term on the page
    assert found(m, "Apple Watch pairs with the iPhone, unlike apple pie") == [("Apple", "name")]


def test_domain_form_in_emails_and_urls():
    m = BrandMatcher(("acme",), ("acme.com",))
    assert found(m, "write to press@acme.com or see https://www.acme.com/pricing, acme.com.") == [
        ("acme.com", "email"),
        ("acme.com", "url"),
        ("acme.com", "domain"),
    ]
    domain_only = BrandMatcher((), ("acme.com",))
    assert found(domain_only, "notacme.com, acme.com.evil.net and acme.community are not us") == []


def test_multiple_terms_one_pass_longest_wins():
    m = BrandMatcher(("Acme", "Acme Rockets"), ("acme.com",))
    assert found(m, "Acme Rockets by Acme (acme.com)") == [
        ("Acme Rockets", "name"),
        ("Acme", "name"),
        ("acme.com", "domain"),
    ]


def test_offsets_survive_characters_whose_lower_case_is_longer():
    m = BrandMatcher(("acme",))
    matches = m.find("İİ Acme")
    assert [(x.start, x.end) for x in matches] == [(3, 7)]
