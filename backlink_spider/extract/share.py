"""Share and follow widgets: the buttons that share a page on a social network ("Share on Reddit",
"Tweet this") or point at the site's own accounts there ("Follow us on Facebook").

Their links get the position `share` (dom.walk decides it, from the widget's markup, the link's
URL or its label). Their labels name networks, not something the page talks about, so they never
count as brand mentions (extract/page.py leaves them out of matching), and a share intent URL is
a link to the network, not a redirect to the page it shares (`sharer.php?u=...` is not unwrapped).
"""

from __future__ import annotations

import re

SHARE = "share"
# What classify_position returns for a follow widget: `share`, except inside a profile, where the
# links to the owner's own accounts are the profile's content.
FOLLOW = "follow"

# Class/id tokens (lower case, `_` folded to `-`) of share widgets: Jetpack's sharedaddy, AddToAny
# (a2a_kit), ShareThis, Shareaholic, Shariff, Simple Share Buttons (ssba), Heateor, themes'
# `.share-buttons`/`.share-links`/`.social-share`. `share-price` (a stock quote) is not one.
_SHARE_TOKEN = re.compile(
    r"(?:^|-)(?:shares?|sharing|sharer|sharebar|sharedaddy|sharethis|shareaholic|addtoany|a2a|"
    r"shariff|ssba|heateor|addthis)(?:$|-)(?!price)"
)
# Whole tokens of follow widgets: `.social`, `.footer-social`, `.social-icons`, `.follow-us`, ...
# (not `.follow-counts` or `.follow-up`, which are not widgets).
_FOLLOW_TOKEN = re.compile(
    r"^(?:[a-z0-9]+-)*(?:socials?|social-(?:follow|icons?|links?|media|networks?|navigation|menu|buttons?|"
    r"profiles?|list|accounts?|bar)|follow(?:-(?:us|me|buttons?|links?|widget|icons?))?)$"
)

# URLs whose only job is to share the page they carry in their query: (host, path) prefixes.
_SHARE_INTENT = re.compile(
    r"^\s*(?:https?:)?//(?:[a-z0-9-]+\.)*(?:"
    r"(?:twitter|x)\.com/(?:intent/(?:tweet|post)|share\b)"
    r"|facebook\.com/(?:sharer|share\.php|dialog/(?:share|feed))"
    r"|reddit\.com/submit"
    r"|linkedin\.com/(?:shareArticle|sharing/share-offsite|cws/share)"
    r"|wa\.me/?\?(?:[^#]*&)?text="
    r"|whatsapp\.com/send"
    r"|pinterest\.[a-z.]+/pin/create"
    r"|(?:t|telegram)\.me/share"
    r"|news\.ycombinator\.com/submitlink"
    r"|tumblr\.com/(?:share|widgets/share)"
    r"|getpocket\.com/(?:save|edit)"
    r"|bsky\.app/intent/compose"
    r"|threads\.net/intent/post"
    r"|vk\.com/share\.php"
    r"|addtoany\.com/(?:share|add_to)"
    r"|(?:buffer|bufferapp)\.com/add"
    r"|flipboard\.com/bookmarklet"
    r"|xing\.com/(?:spi/shares|social/share)"
    r"|plus\.google\.com/share"
    r"|line\.me/R/msg/text"
    r"|social-plugins\.line\.me/lineit/share"
    r"|mastodonshare\.com/"
    r")",
    re.I,
)
# Labels of share and follow buttons ("Share on X", "Tweet this", "Follow us on Facebook", "Like
# us"), counted only on links to a social network (a "Follow the recipe" link elsewhere is content).
_WIDGET_LABEL = re.compile(
    r"^(?:share|tweet|retweet|toot|post (?:it|this|to|on)|pin it|pin this|follow|like us|subscribe on|"
    r"(?:find|join|connect with|chat with) us)\b",
    re.I,
)
_LABEL_MAX_CHARS = 60
_SOCIAL_HOST = re.compile(
    r"^\s*(?:https?:)?//(?:[a-z0-9-]+\.)*(?:facebook\.com|fb\.com|fb\.me|twitter\.com|x\.com|"
    r"instagram\.com|linkedin\.com|youtube\.com|tiktok\.com|pinterest\.com|threads\.net|bsky\.app|"
    r"mastodon\.social|reddit\.com|medium\.com|t\.me|telegram\.me|wa\.me|whatsapp\.com|discord\.gg|"
    r"discord\.com|tumblr\.com|vk\.com|xing\.com|flipboard\.com)(?:[:/?#]|$)",
    re.I,
)
# A share widget is small: a container with more text than this is a page part that happens to
# carry a share class (`<main class="sharing-enabled">`), and keeps its own position.
_WIDGET_MAX_CHARS = 400
_WIDGET_MAX_ELEMENTS = 400


def widget_kind(tokens: list[str]) -> str | None:
    """`share` or `follow` when an element's class/id tokens name a share or follow widget."""
    if any(_SHARE_TOKEN.search(t) for t in tokens):
        return SHARE
    if any(_FOLLOW_TOKEN.match(t) for t in tokens):
        return FOLLOW
    return None


def is_share_intent(url: str) -> bool:
    """True for a link that shares a page on a network (`facebook.com/sharer.php?u=...`,
    `twitter.com/intent/tweet?...`, `reddit.com/submit?url=...`, `wa.me/?text=...`)."""
    return _SHARE_INTENT.match(url) is not None


def is_widget_label(href: str, text: str) -> bool:
    """True for a link to a social network labelled like a share or follow button."""
    return (
        0 < len(text) <= _LABEL_MAX_CHARS
        and _WIDGET_LABEL.match(text) is not None
        and _SOCIAL_HOST.match(href) is not None
    )


def is_small(el, skip_tags: frozenset[str]) -> bool:  # noqa: ANN001 (an lxml element)
    """True when an element holds no more than a widget's worth of text and elements (counted
    with a bound, so a page-sized container costs little to reject)."""
    chars = 0
    for count, node in enumerate(el.iter()):
        if count > _WIDGET_MAX_ELEMENTS:
            return False
        if isinstance(node.tag, str) and node.tag not in skip_tags:
            chars += len((node.text or "").strip())
        if node is not el:
            chars += len((node.tail or "").strip())
        if chars > _WIDGET_MAX_CHARS:
            return False
    return True
