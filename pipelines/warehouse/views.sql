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

-- Per target and referring (source) domain, over all crawls: `backlinks` in the latest crawl (0 when
-- the domain no longer links), `followed_share` of those without nofollow/ugc/sponsored (NULL when
-- there are none), first and last crawled_at a backlink from the domain was seen.
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
    max(crawled_at) AS last_seen
FROM marked
GROUP BY target, source_domain;

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
