-- Views over the record tables, the same SQL for DuckDB and PostgreSQL (created by backlinks-load).
-- Statements are separated by a line ending in ";". The line holding only {crawl_records} is replaced
-- by a UNION ALL of (target, crawl_id, crawled_at) over every record type's table.
-- A crawl's `target` may be NULL (files written before records carried it): joins use IS NOT DISTINCT FROM.

-- One row per discovery crawl of a target (a `recheck` writes link_status and summary records only,
-- and is not one); crawls are ordered by their first record's crawled_at. `partial`: the crawl's
-- summary says it did not look at everything (capped, stopped early): its link_change records lose
-- nothing it did not look at.
CREATE OR REPLACE VIEW crawls AS
SELECT
    target,
    crawl_id,
    min(crawled_at) AS started_at,
    max(crawled_at) AS finished_at,
    lag(crawl_id) OVER (PARTITION BY target ORDER BY min(crawled_at), crawl_id) AS previous_crawl_id,
    row_number() OVER (PARTITION BY target ORDER BY min(crawled_at) DESC, crawl_id DESC) = 1 AS is_latest,
    coalesce(
        (SELECT bool_or(s.partial) FROM summary AS s WHERE s.crawl_id = crawl_records.crawl_id), FALSE
    ) AS partial
FROM (
{crawl_records}
) AS crawl_records
GROUP BY target, crawl_id;

-- Pages with an unlinked mention in the latest crawl of each target that do not link to the target in
-- that crawl: one row per page. `snippet` is the best one (as extract.page.best_snippet ranks them:
-- content, profile, comment position first; a by-name mention; a sentence over a short heading),
-- `mentions` the page's unlinked mentions in that crawl, `first_seen` the earliest crawled_at of any
-- mention on that page (any crawl of the target).
CREATE OR REPLACE VIEW outreach_queue AS
WITH unlinked AS (
    SELECT
        m.target,
        m.crawl_id,
        m.source_url,
        m.snippet,
        row_number() OVER (
            PARTITION BY m.target, m.crawl_id, m.source_url
            ORDER BY
                CASE m.position WHEN 'content' THEN 0 WHEN 'profile' THEN 1 WHEN 'comment' THEN 2 ELSE 9 END,
                CASE WHEN m.form = 'name' THEN 0 ELSE 1 END,
                CASE WHEN length(m.snippet) < 60 THEN 1 ELSE 0 END,
                m.occurrence,
                m.record_id
        ) AS snippet_rank,
        count(*) OVER (PARTITION BY m.target, m.crawl_id, m.source_url) AS page_mentions
    FROM mention AS m
    JOIN crawls AS c ON c.is_latest AND c.crawl_id = m.crawl_id AND c.target IS NOT DISTINCT FROM m.target
    WHERE m.unlinked
)
SELECT
    u.target,
    u.crawl_id,
    u.source_url,
    (
        SELECT min(p.title) FROM page AS p
        WHERE p.crawl_id = u.crawl_id AND p.url = u.source_url AND p.target IS NOT DISTINCT FROM u.target
    ) AS title,
    u.snippet,
    u.page_mentions AS mentions,
    (
        SELECT min(a.crawled_at) FROM mention AS a
        WHERE a.source_url = u.source_url AND a.target IS NOT DISTINCT FROM u.target
    ) AS first_seen
FROM unlinked AS u
WHERE u.snippet_rank = 1
  AND NOT EXISTS (
      SELECT 1 FROM backlink AS b
      WHERE b.crawl_id = u.crawl_id AND b.source_url = u.source_url AND b.target IS NOT DISTINCT FROM u.target
  );

-- The domain link graph over every crawl held (all targets): one row per (source_domain,
-- target_domain) with `pages`, the distinct pages of the source domain that give the target domain
-- a followed, visible link (the page records' `linked_domains`). backlinks-load computes the
-- `domain_authority` table (domain, score 0-100, in_domains, pagerank) from it after each load.
CREATE OR REPLACE VIEW domain_links AS
SELECT source_domain, target_domain, count(DISTINCT url) AS pages
FROM (
    SELECT p.domain AS source_domain, p.url, unnest(p.linked_domains) AS target_domain
    FROM page AS p
    WHERE p.domain IS NOT NULL AND p.domain <> ''
) AS edges
WHERE target_domain <> source_domain
GROUP BY source_domain, target_domain;

-- Per target and referring (source) domain, over all crawls: `backlinks` in the latest crawl (0 when
-- the domain no longer links), `followed_share` of those without nofollow/ugc/sponsored (NULL when
-- there are none), first and last crawled_at a backlink from the domain was seen, and the domain's
-- `authority` (0-100) and `authority_in_domains` from `domain_authority` (NULL: not in the graph).
CREATE OR REPLACE VIEW referring_domains AS
WITH marked AS (
    SELECT
        b.target,
        b.source_domain,
        b.crawled_at,
        c.crawl_id IS NOT NULL AS in_latest,
        NOT (coalesce(b.nofollow, FALSE) OR coalesce(b.ugc, FALSE) OR coalesce(b.sponsored, FALSE)) AS followed
    FROM backlink AS b
    LEFT JOIN crawls AS c
        ON c.is_latest AND c.crawl_id = b.crawl_id AND c.target IS NOT DISTINCT FROM b.target
)
SELECT
    target,
    source_domain,
    count(*) FILTER (WHERE in_latest) AS backlinks,
    CAST(count(*) FILTER (WHERE in_latest AND followed) AS DOUBLE PRECISION)
        / nullif(count(*) FILTER (WHERE in_latest), 0) AS followed_share,
    min(crawled_at) AS first_seen,
    max(crawled_at) AS last_seen,
    (SELECT a.score FROM domain_authority AS a WHERE a.domain = marked.source_domain) AS authority,
    (SELECT a.in_domains FROM domain_authority AS a WHERE a.domain = marked.source_domain)
        AS authority_in_domains
FROM marked
GROUP BY target, source_domain;

-- Sitewide links: per crawl, target and link (source domain, target URL, anchor text), how many pages
-- of the source site carry it in a template position (footer, nav, header, sidebar), and its lowest
-- `quality`. The crawl scores the template position on each page as it arrives (quality.py); this
-- counts the repetition over the whole crawl.
CREATE OR REPLACE VIEW sitewide_backlinks AS
SELECT
    target,
    crawl_id,
    source_domain,
    target_url,
    anchor_text,
    count(DISTINCT source_url) AS pages,
    min(quality) AS quality
FROM backlink
WHERE position IN ('footer', 'nav', 'header', 'sidebar')
GROUP BY target, crawl_id, source_domain, target_url, anchor_text;

-- Backlinks gained (`new`), lost (`lost`) and changed (`changed`: anchor text, rel or exact target)
-- between each crawl of a target and its previous complete crawl, as the crawl itself computed them
-- (its `link_change` records; backlink_spider/linkdiff.py is the one definition, shared with the
-- HTML report and the alerts). Links on pages a crawl did not judge are `not_checked` there, not
-- lost, and not listed here. A target's first crawl has no previous crawl and no rows here.
CREATE OR REPLACE VIEW link_changes AS
SELECT target, crawl_id, previous_crawl_id, change, source_url, target_url, anchor_text
FROM link_change
WHERE change IN ('new', 'lost', 'changed');

-- Every observation of every link to a target: each crawl that saw it (`seen`), each recheck's
-- status (live, changed, lost, new, unverified) and each confirmed loss between crawls (`lost`).
CREATE OR REPLACE VIEW backlink_events AS
SELECT target, source_url, target_url, crawled_at AS observed_at, crawl_id, 'seen' AS status, NULL AS reason
FROM backlink
UNION ALL
SELECT target, source_url, target_url, crawled_at, crawl_id, status, reason
FROM link_status
UNION ALL
SELECT target, source_url, target_url, crawled_at, crawl_id, 'lost', 'link removed'
FROM link_change
WHERE change = 'lost';

-- One row per link (target, source page, target URL): when it was first and last seen, when it was
-- last checked, and its status then ("when did we win this link, when did it go" is one query).
CREATE OR REPLACE VIEW backlink_history AS
SELECT
    target,
    source_url,
    target_url,
    min(observed_at) FILTER (WHERE status IN ('seen', 'live', 'changed', 'new')) AS first_seen,
    max(observed_at) FILTER (WHERE status IN ('seen', 'live', 'changed', 'new')) AS last_seen,
    max(observed_at) AS last_checked,
    (array_agg(status ORDER BY observed_at DESC, status))[1] AS last_status,
    count(*) AS observations
FROM backlink_events
GROUP BY target, source_url, target_url;

-- Competitors (`-a competitors=`): backlink and mention records carry `role` (target | competitor) and
-- `main_target` (the crawl's target); `target` is the host of the site they concern. Records written
-- before roles existed (NULL role) are the target's.

-- Per crawl target and referring domain, in the latest crawl of each target: the domains that link to
-- competitors. `competitors`: the competitors' hosts it links to (sorted), `competitor_count` how many,
-- `competitor_backlinks` its links to them; `links_to_target`: the domain links to the target in that
-- crawl too (FALSE: a link you lack). `best_page`: its page to pitch: a gap page (one that links to
-- competitors and not to the target, a `gap` record) first, then the most competitors linked, a
-- followed link, the URL; `title` that page's title, `emails` / `contact_url` its gap record's contacts
-- (NULL when it is no gap page).
CREATE OR REPLACE VIEW link_gap AS
WITH competitor_links AS (
    SELECT
        b.main_target AS target,
        b.crawl_id,
        b.source_domain,
        b.source_url,
        b.target AS competitor,
        NOT (coalesce(b.nofollow, FALSE) OR coalesce(b.ugc, FALSE) OR coalesce(b.sponsored, FALSE)) AS followed
    FROM backlink AS b
    JOIN crawls AS c ON c.is_latest AND c.crawl_id = b.crawl_id AND c.target = b.main_target
    WHERE b.role = 'competitor'
),
pages AS (
    SELECT
        k.target,
        k.crawl_id,
        k.source_domain,
        k.source_url,
        count(DISTINCT k.competitor) AS page_competitors,
        bool_or(k.followed) AS page_followed,
        EXISTS (
            SELECT 1 FROM gap AS g
            WHERE g.crawl_id = k.crawl_id AND g.source_url = k.source_url AND g.target = k.target
        ) AS is_gap
    FROM competitor_links AS k
    GROUP BY k.target, k.crawl_id, k.source_domain, k.source_url
),
best AS (
    SELECT
        p.target,
        p.crawl_id,
        p.source_domain,
        p.source_url,
        row_number() OVER (
            PARTITION BY p.target, p.crawl_id, p.source_domain
            ORDER BY p.is_gap DESC, p.page_competitors DESC, p.page_followed DESC, p.source_url
        ) AS page_rank
    FROM pages AS p
),
domains AS (
    SELECT
        k.target,
        k.crawl_id,
        k.source_domain,
        array_agg(DISTINCT k.competitor ORDER BY k.competitor) AS competitors,
        count(DISTINCT k.competitor) AS competitor_count,
        count(*) AS competitor_backlinks
    FROM competitor_links AS k
    GROUP BY k.target, k.crawl_id, k.source_domain
)
SELECT
    d.target,
    d.crawl_id,
    d.source_domain,
    d.competitors,
    d.competitor_count,
    d.competitor_backlinks,
    EXISTS (
        SELECT 1 FROM backlink AS t
        WHERE t.crawl_id = d.crawl_id
          AND t.source_domain = d.source_domain
          AND t.target = d.target
          AND coalesce(t.role, 'target') = 'target'
    ) AS links_to_target,
    b.source_url AS best_page,
    (
        SELECT min(p.title) FROM page AS p
        WHERE p.crawl_id = b.crawl_id AND p.url = b.source_url AND p.target IS NOT DISTINCT FROM b.target
    ) AS title,
    g.emails,
    g.contact_url
FROM domains AS d
JOIN best AS b
    ON b.page_rank = 1 AND b.target = d.target AND b.crawl_id = d.crawl_id AND b.source_domain = d.source_domain
LEFT JOIN gap AS g ON g.crawl_id = b.crawl_id AND g.source_url = b.source_url AND g.target = b.target;

-- Share of voice, per crawl (every crawl, not only the latest): per brand (`brand`: the host of the
-- target or a competitor, with its `role`) and source type of the mentioning pages (`source_type` of
-- their page records): `mentions`, `linked_mentions` (inside a link to that brand's site), `pages`
-- naming it, and `share`: its mentions over all brands' mentions in that crawl and source type, 0-1.
CREATE OR REPLACE VIEW share_of_voice AS
WITH named AS (
    SELECT
        coalesce(m.main_target, m.target) AS target,
        m.crawl_id,
        m.target AS brand,
        coalesce(m.role, 'target') AS role,
        coalesce(
            (
                SELECT min(p.source_type) FROM page AS p
                WHERE p.crawl_id = m.crawl_id AND p.url = m.source_url
                  AND p.target IS NOT DISTINCT FROM coalesce(m.main_target, m.target)
            ),
            'other'
        ) AS source_type,
        m.source_url,
        coalesce(m.linked, FALSE) AS linked
    FROM mention AS m
)
SELECT
    target,
    crawl_id,
    brand,
    role,
    source_type,
    count(*) AS mentions,
    count(*) FILTER (WHERE linked) AS linked_mentions,
    count(DISTINCT source_url) AS pages,
    CAST(count(*) AS DOUBLE PRECISION) / sum(count(*)) OVER (PARTITION BY target, crawl_id, source_type) AS share
FROM named
GROUP BY target, crawl_id, brand, role, source_type;

-- Prospects (pages that invite a link: write_for_us, resource_page, roundup) of the latest crawl of
-- each target: one row per page, those not linking to the target yet and most relevant to its niche
-- first (ORDER BY is the reader's: rank_in_target gives the same order). `first_seen`: the
-- earliest crawled_at of a prospect record of that page (any crawl of the target).
CREATE OR REPLACE VIEW prospects_latest AS
SELECT
    p.target,
    p.crawl_id,
    p.source_url,
    p.source_domain,
    p.kind,
    p.title,
    p.niche_relevance,
    p.links_to_target,
    p.evidence,
    p.competitors,
    p.emails,
    p.contact_url,
    p.social_profiles,
    p.source_type,
    (
        SELECT min(a.crawled_at) FROM prospect AS a
        WHERE a.source_url = p.source_url AND a.target IS NOT DISTINCT FROM p.target
    ) AS first_seen,
    row_number() OVER (
        PARTITION BY p.target
        ORDER BY p.links_to_target, p.niche_relevance DESC NULLS LAST, p.source_url
    ) AS rank_in_target
FROM prospect AS p
JOIN crawls AS c ON c.is_latest AND c.crawl_id = p.crawl_id AND c.target IS NOT DISTINCT FROM p.target;
