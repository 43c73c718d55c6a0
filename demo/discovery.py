"""The open web's discovery APIs, as the demo web's world would answer them.

`make demo` and the discovery tests run `scrapy crawl mentions -a target=brewbird.io` with no
seeds: the crawl must find the demo's pages through its sources. `DemoSources` serves each
source's API (the loopback fakes of demo/fakes/, which answer as the real APIs do) with answers
that point into the demo web, among pages that are gone, and gives the settings that point the
crawl at them:

* Hacker News: a story linking to brewbird.io, whose discussion page is a demo forum thread
  (the forum stands in for news.ycombinator.com), a story naming BrewBird that links to the
  blog's cold-brew post, and a comment naming BrewBird in another thread;
* GDELT: the news site's funding article naming BrewBird, an archived launch article, a tariffs
  article that does not name it, and an article that is gone (404);
* Stack Exchange: "questions" linking to brewbird.io on four sites (two social profiles, the
  directory's best-tools page and the resources page stand in for them);
* Wikipedia and Lemmy: nothing about BrewBird (every source is asked, and "found nothing" is an
  answer too).
"""

from __future__ import annotations

from contextlib import ExitStack

from demo.fakes.gdelt import FakeGdelt, article
from demo.fakes.hackernews import FakeHackerNews, comment, story
from demo.fakes.lemmy import FakeLemmy
from demo.fakes.mediawiki import FakeMediaWiki, FakeWiki
from demo.fakes.stackexchange import FakeStackExchange, question
from demo.serve import DemoWeb

SOURCES = "wikipedia,hackernews,stackexchange,gdelt,lemmy"
# Pages each source points at (site, path): what a crawl with no seeds must reach.
HACKERNEWS_STORY = ("blog", "/2026/03/cold-brew-at-home/")
# Discussion pages: the demo forum stands in for news.ycombinator.com/item?id=N; like Discourse,
# it redirects /t/<id> to the thread's full URL.
HACKERNEWS_DISCUSSIONS = [("forum", "/t/42"), ("forum", "/t/57")]
STACKEXCHANGE_QUESTIONS = {
    "stackoverflow": ("social", "/@janedoe"),
    "webmasters": ("directory", "/best-coffee-tools/"),
    "superuser": ("resources", "/"),
    "serverfault": ("social", "/@marco"),
}
GDELT_ARTICLES = [
    ("news", "/2026/05/coffee-startups-raise/"),
    ("news", "/2026/05/tariffs/"),
    ("news", "/archive/2019/11/smart-kettle-startup-launches/"),
    ("news", "/2026/05/gone-article/"),
]


class DemoSources:
    def __init__(self, web: DemoWeb) -> None:
        self.web = web
        self._stack = ExitStack()
        self.settings: dict[str, str] = {}

    def __enter__(self) -> DemoSources:
        web = self.web
        hn = self._stack.enter_context(
            FakeHackerNews(
                {
                    # a story linking to brewbird.io: its discussion page is where the link is
                    "brewbird.io": [
                        story(42, 1_774_000_000, url="https://brewbird.io/kettles/", title="BrewBird")
                    ],
                    # a story naming BrewBird, linking to the blog post, and a comment naming it
                    "brewbird": [
                        story(42, 1_774_000_000, url=web.url(*HACKERNEWS_STORY), title="BrewBird cold brew"),
                        comment(58, 1_774_000_600, story_id=57, text="Anyone tried the BrewBird grinder?"),
                    ],
                }
            )
        )
        gdelt = self._stack.enter_context(
            FakeGdelt({"brewbird": [article(web.url(*page), "20261120T101500Z") for page in GDELT_ARTICLES]})
        )
        wiki = self._stack.enter_context(FakeMediaWiki({"en": FakeWiki()}))
        stackexchange = self._stack.enter_context(
            FakeStackExchange(
                {  # questions whose posts link to brewbird.io (the demo's pages stand in for them)
                    site: [[question(9000 + n, link=web.url(*page))]]
                    for n, (site, page) in enumerate(STACKEXCHANGE_QUESTIONS.items())
                }
            )
        )
        lemmy = self._stack.enter_context(FakeLemmy())
        self.settings = {
            "HACKERNEWS_API_URL": hn.api_url,
            "HACKERNEWS_ITEM_URL": web.url("forum", "/t/{id}"),
            "GDELT_API_URL": gdelt.api_url,
            "GDELT_MIN_INTERVAL": "0.5",  # the fake has no 5-second rule; the real API keeps its own
            "MEDIAWIKI_API_URL": f"{wiki.base_url}/{{wiki}}/w/api.php",
            "STACKEXCHANGE_API_URL": stackexchange.base_url,
            "LEMMY_INSTANCES": lemmy.base_url,
            # the fakes listen on 127.0.0.1, the demo sites on 127.0.10.x
            "ALLOWED_HOSTS": "127.0.10.*,127.0.0.1",
        }
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
