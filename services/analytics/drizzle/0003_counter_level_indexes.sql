-- An index per level of counters (see 0002), keyed by what a question about that level fixes
-- (metric, dimension, whose counters) before the bucket range.
--
-- Why (EXPLAIN (ANALYZE, BUFFERS) of timeSeries as analytics_app, an organization's 30-day daily
-- series by bot, bench/analytics-query.ts): the ~140,000 organization-level rows it needs were
-- found through rollups_user_idx (user_id = none, metric, bucket), 140 index pages, but each lay
-- on a heap page of its own among the user-level rows written at the same time (one per user, bot
-- and quarter hour, more as users and events grow), so the bitmap heap scan read nearly the whole
-- table: 25,519 of its 30,600 pages at 1 million events, 47,599 of 63,800 at 3 million. An index
-- on the level alone reads the same heap pages, so the organization's level is covered (INCLUDE
-- what the query and the policy read): an index-only scan reads ~2,100 pages at 1 million events
-- and ~2,300 at 3 million, with no heap fetch once the pages are all-visible. The price: value is
-- now in an index, so no counter update is HOT any more (6 to 28% were in the bench); the time of
-- a batch of 500 through record_events did not measurably change (89 / 89 ms at 1 million events,
-- 233 / 221 ms at 3 million, before / after, on a loaded machine).

-- The organization's level (no user, no team): an organization's series and totals, and the
-- platform's (every organization) by metric and dimension.
create index rollups_organization_level_idx on analytics.rollups (metric, dimension, organization_id, bucket)
  include (dimension_id, value, user_id, team_id)
  where user_id = '00000000-0000-0000-0000-000000000000'
    and team_id = '00000000-0000-0000-0000-000000000000';

-- The team's level (no user, a team): a team's series and totals.
create index rollups_team_level_idx on analytics.rollups (team_id, metric, dimension, bucket)
  where user_id = '00000000-0000-0000-0000-000000000000'
    and team_id <> '00000000-0000-0000-0000-000000000000';

-- The user's level: one user's rows of the dimension asked, not all of their dimensions.
drop index analytics.rollups_user_idx;
create index rollups_user_idx on analytics.rollups (user_id, metric, dimension, bucket);
