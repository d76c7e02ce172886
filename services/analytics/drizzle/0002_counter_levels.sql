-- Counters at three levels, so that a question is answered from as few rows as it needs: the
-- user's own (user set, with their team or none), the team's (no user, the team), and the
-- organization's (neither). Every event adds to one row of each level it has (its user's, its
-- team's, its organization's), so a level summed over any filter counts each event once, and an
-- organization's daily series by bot reads one row per bot and bucket however many users
-- there are. The policies ask for the actor once per statement (initplans), not once per row.

create or replace function analytics.record_events(p_events jsonb) returns integer
  language plpgsql security definer set search_path = analytics, pg_temp
  as $$
  declare
    recorded integer;
  begin
    if analytics.current_user_id() is not null and exists (
      select 1 from jsonb_to_recordset(p_events) as e(user_id uuid)
      where e.user_id is distinct from analytics.current_user_id()
    ) then
      raise exception 'a client records only its own events' using errcode = '42501';
    end if;

    with batch as (
      select distinct on (e.id) e.*
      from jsonb_to_recordset(p_events) as e(
        id uuid, event_type text, source text, occurred_at timestamptz, received_at timestamptz,
        organization_id uuid, user_id uuid, team_id uuid, bot_id uuid, session_id uuid,
        workflow_id uuid, collection_id uuid, account_id uuid, metrics jsonb, event_data jsonb,
        clock_skewed boolean
      )
      order by e.id
    ),
    claimed as (
      insert into analytics.event_keys (id, occurred_at)
      select id, occurred_at from batch
      on conflict do nothing
      returning id
    ),
    inserted as (
      insert into analytics.user_analytics (
        id, event_type, source, occurred_at, received_at, organization_id, user_id, team_id,
        bot_id, session_id, workflow_id, collection_id, account_id, metrics, event_data, clock_skewed
      )
      select b.id, b.event_type, b.source, b.occurred_at, coalesce(b.received_at, now()),
        b.organization_id, b.user_id, b.team_id, b.bot_id, b.session_id, b.workflow_id,
        b.collection_id, b.account_id, coalesce(b.metrics, '{}'), coalesce(b.event_data, '{}'),
        coalesce(b.clock_skewed, false)
      from batch b join claimed c on c.id = b.id
      returning occurred_at, organization_id, user_id, team_id, bot_id, workflow_id, collection_id,
        account_id, metrics
    ),
    amounts as (
      select m.key as metric,
        date_bin('15 minutes', i.occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
        coalesce(i.organization_id, '00000000-0000-0000-0000-000000000000') as organization_id,
        l.user_id, l.team_id, d.dimension, d.dimension_id, m.value::bigint as value
      from inserted i
      cross join lateral jsonb_each_text(i.metrics) m
      cross join lateral (values
        (i.user_id, coalesce(i.team_id, '00000000-0000-0000-0000-000000000000'::uuid)),
        ('00000000-0000-0000-0000-000000000000'::uuid, i.team_id),
        ('00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
      ) l(user_id, team_id)
      cross join lateral (values
        ('', '00000000-0000-0000-0000-000000000000'::uuid),
        ('bot', i.bot_id), ('workflow', i.workflow_id), ('collection', i.collection_id),
        ('account', i.account_id)
      ) d(dimension, dimension_id)
      where l.user_id is not null and l.team_id is not null and d.dimension_id is not null
        and m.value::bigint <> 0
    ),
    counted as (
      insert into analytics.rollups (
        metric, organization_id, bucket, user_id, team_id, dimension, dimension_id, value
      )
      select metric, organization_id, bucket, user_id, team_id, dimension, dimension_id, sum(value)
      from amounts
      group by metric, organization_id, bucket, user_id, team_id, dimension, dimension_id
      order by metric, organization_id, bucket, user_id, team_id, dimension, dimension_id
      on conflict (metric, organization_id, bucket, user_id, team_id, dimension, dimension_id)
        do update set value = rollups.value + excluded.value
      returning 1
    )
    select count(*) into recorded from inserted;
    return recorded;
  end $$;

-- Counters written by 0001 had one level only: they are recounted from the events (counters of
-- events already pruned are not kept, as none exist before this release).
delete from analytics.rollups;
insert into analytics.rollups (metric, organization_id, bucket, user_id, team_id, dimension, dimension_id, value)
select m.key,
  coalesce(e.organization_id, '00000000-0000-0000-0000-000000000000'),
  date_bin('15 minutes', e.occurred_at, timestamptz '2000-01-01 00:00:00+00'),
  l.user_id, l.team_id, d.dimension, d.dimension_id, sum(m.value::bigint)
from analytics.user_analytics e
cross join lateral jsonb_each_text(e.metrics) m
cross join lateral (values
  (e.user_id, coalesce(e.team_id, '00000000-0000-0000-0000-000000000000'::uuid)),
  ('00000000-0000-0000-0000-000000000000'::uuid, e.team_id),
  ('00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
) l(user_id, team_id)
cross join lateral (values
  ('', '00000000-0000-0000-0000-000000000000'::uuid),
  ('bot', e.bot_id), ('workflow', e.workflow_id), ('collection', e.collection_id), ('account', e.account_id)
) d(dimension, dimension_id)
where l.user_id is not null and l.team_id is not null and d.dimension_id is not null and m.value::bigint <> 0
group by 1, 2, 3, 4, 5, 6, 7;

drop policy user_analytics_visible on analytics.user_analytics;
create policy user_analytics_visible on analytics.user_analytics for select
  using (
    (select analytics.is_platform_admin())
    or user_id = (select analytics.current_user_id())
    or team_id = any ((select analytics.managed_team_ids())::uuid[])
    or (organization_id = (select analytics.current_org_id()) and (select analytics.reads_organization()))
  );

drop policy rollups_visible on analytics.rollups;
create policy rollups_visible on analytics.rollups for select
  using (
    (select analytics.is_platform_admin())
    or user_id = (select analytics.current_user_id())
    or team_id = any ((select analytics.managed_team_ids())::uuid[])
    or (organization_id = (select analytics.current_org_id()) and (select analytics.reads_organization()))
  );
