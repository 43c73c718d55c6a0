"""render=auto's per-site policy: user rules, app-shell evidence, sampling and learning."""

from backlink_spider.renderpolicy import PageCounts, RenderPolicy

STATIC = (
    "<html><body><main><p>" + "Plenty of server-rendered words here. " * 20 + "</p></main>"
    "<script src='/widget.js'></script></body></html>"
)
SHELL = "<html><body><div id='root'></div><script src='/app.js'></script></body></html>"


def test_user_rules_win():
    policy = RenderPolicy(always=["*.forum.example"], never=["app.example"], samples=0)
    assert policy.decide("www.forum.example", "forum.example", STATIC) == "rule:always"
    assert policy.decide("app.example", "app.example", SHELL) is None


def test_app_shell_then_samples_then_static():
    policy = RenderPolicy([], [], samples=2)
    assert policy.decide("a.example", "a.example", SHELL) == "empty-app-root"
    assert policy.decide("a.example", "a.example", STATIC) == "sample"
    assert policy.decide("a.example", "a.example", STATIC) == "sample"
    assert policy.decide("a.example", "a.example", STATIC) is None  # samples spent, verdict pending
    same = PageCounts(target_links=0, mentions=1, links=10, text=900)
    assert policy.learn("a.example", same, same) is False
    assert policy.sites["a.example"].verdict == "static"
    assert policy.decide("a.example", "a.example", STATIC) is None
    assert policy.decide("a.example", "a.example", SHELL) == "empty-app-root"  # evidence still counts


def test_a_sample_that_reveals_content_makes_the_site_rendered():
    policy = RenderPolicy([], [], samples=2)
    assert policy.decide("b.example", "b.example", STATIC) == "sample"
    static = PageCounts(target_links=0, mentions=0, links=10, text=900)
    assert policy.learn("b.example", static, PageCounts(1, 0, 10, 900)) is True
    assert policy.decide("b.example", "b.example", STATIC) == "site-learned"
    # more links or much more text count too, a little more does not
    other = RenderPolicy([], [], samples=5)
    assert other.learn("c.example", static, PageCounts(0, 0, 13, 1000)) is False
    assert other.learn("c.example", static, PageCounts(0, 0, 40, 900)) is True
