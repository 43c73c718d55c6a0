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


def test_names_inside_identifiers_are_not_mentions():
    m = BrandMatcher(("Apple",))
    text = (
        "Ring_Apple and @apple_fan posted apple.txt, Apple_Silicon and @apple-fan.dev; see "
        "https://recipes.example/apple-pie-recipes, www.recipes.example/?q=apple, recipes.example/apple, "
        "/r/apple, ~/apple/notes, C:\\Users\\apple, com.apple.mail and mail apple@example.com"
    )
    assert found(m, text) == []


def test_names_in_prose_handles_and_hashtags_are_mentions():
    """`@apple` is the brand's own handle and `#apple` a hashtag about it: both name it."""
    m = BrandMatcher(("Apple",))
    text = "Apple/Google, (Apple), Apple-based, Apple. Thanks @apple and @apple@mastodon.social #apple"
    assert found(m, text) == [("Apple", "name")] * 4 + [("apple", "name")] * 3


def test_brand_terms_that_are_identifiers_themselves():
    m = BrandMatcher(("Ring_Apple", "@acme", "acme.js"))
    assert found(m, "Ring_Apple wrote: try @acme, or acme.js (not acme.json)") == [
        ("Ring_Apple", "name"),
        ("@acme", "name"),
        ("acme.js", "name"),
    ]


def test_domain_forms_are_not_identifier_bound():
    """The target's domain still counts in e-mail addresses and URLs (as before), and the brand
    name inside them is no second mention."""
    m = BrandMatcher(("acme",), ("acme.com",))
    assert found(m, "acme_fan@acme.com, https://x.example/go/acme.com and acme.com/pricing") == [
        ("acme.com", "email"),
        ("acme.com", "url"),
        ("acme.com", "url"),
    ]
