-- Row-level security, partitions and the one way events are written.
--
-- Who sees what: a user their own activity; the owners and admins of a team the team's (the
-- service sets app.managed_team_ids from the token's team roles); whoever holds analytics.read
-- in an organization the organization's; the platform admin everything. The runtime role
-- (analytics_app) owns nothing, cannot bypass these policies, and may not write the event and
-- counter tables at all: events are written by analytics.record_events, which inserts them and
-- updates their counters in one statement, so a counter never disagrees with the events.

create function analytics.current_user_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function analytics.current_org_id() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.org_id', true), '')::uuid $$;

create function analytics.managed_team_ids() returns uuid[]
  language sql stable
  as $$ select coalesce(string_to_array(nullif(current_setting('app.managed_team_ids', true), ''), ',')::uuid[], '{}') $$;

create function analytics.is_platform_admin() returns boolean
  language sql stable
  as $$ select coalesce(current_setting('app.platform_admin', true), '') = 'true' $$;

create function analytics.reads_organization() returns boolean
  language sql stable
  as $$ select 'analytics.read' = any (string_to_array(coalesce(current_setting('app.permissions', true), ''), ',')) $$;

alter table analytics.user_analytics enable row level security;
alter table analytics.user_analytics force row level security;
create policy user_analytics_visible on analytics.user_analytics for select
  using (
    analytics.is_platform_admin()
    or user_id = analytics.current_user_id()
    or team_id = any (analytics.managed_team_ids())
    or (organization_id = analytics.current_org_id() and analytics.reads_organization())
  );

alter table analytics.rollups enable row level security;
alter table analytics.rollups force row level security;
create policy rollups_visible on analytics.rollups for select
  using (
    analytics.is_platform_admin()
    or user_id = analytics.current_user_id()
    or team_id = any (analytics.managed_team_ids())
    or (organization_id = analytics.current_org_id() and analytics.reads_organization())
  );

-- Claims of event ids: nobody reads them but record_events and the pruning.
alter table analytics.event_keys enable row level security;
alter table analytics.event_keys force row level security;

revoke insert, update, delete, truncate on analytics.user_analytics, analytics.rollups from analytics_app;
revoke all on analytics.event_keys from analytics_app;

-- Monthly partitions ------------------------------------------------------------------------------

-- A partition is locked down like its parent: reached through the parent only (whose policies
-- apply), never directly by the runtime role.
create function analytics.lock_down_partition(p_name text) returns void
  language plpgsql
  as $$
  begin
    execute format('alter table analytics.%I enable row level security', p_name);
    execute format('alter table analytics.%I force row level security', p_name);
    execute format('revoke all on analytics.%I from analytics_app', p_name);
  end $$;

-- Rows outside every monthly partition (older than the first one, or far ahead) land here.
create table analytics.user_analytics_default partition of analytics.user_analytics default;
select analytics.lock_down_partition('user_analytics_default');

-- Creates the partitions of last month, this month and p_months_ahead months ahead (UTC months)
-- that do not exist yet; answers how many it made. A month whose rows already sit in the default
-- partition is left there (Postgres refuses the new partition); it is said in a notice.
create function analytics.ensure_partitions(p_months_ahead integer) returns integer
  language plpgsql security definer set search_path = analytics, pg_temp
  as $$
  declare
    month_start timestamp;
    partition_name text;
    made integer := 0;
  begin
    for i in -1..p_months_ahead loop
      month_start := date_trunc('month', now() at time zone 'UTC') + make_interval(months => i);
      partition_name := 'user_analytics_' || to_char(month_start, 'YYYY_MM');
      continue when to_regclass('analytics.' || partition_name) is not null;
      begin
        execute format(
          'create table analytics.%I partition of analytics.user_analytics for values from (%L) to (%L)',
          partition_name,
          (month_start at time zone 'UTC')::text,
          ((month_start + interval '1 month') at time zone 'UTC')::text
        );
        perform analytics.lock_down_partition(partition_name);
        made := made + 1;
      exception when check_violation then
        raise notice 'partition % not made: the default partition holds rows of that month', partition_name;
      end;
    end loop;
    return made;
  end $$;

select analytics.ensure_partitions(3);

-- Removes events that occurred before p_events_before (whole monthly partitions are dropped) and
-- counters of buckets before p_rollups_before; answers how many events went.
create function analytics.prune(p_events_before timestamptz, p_rollups_before timestamptz) returns bigint
  language plpgsql security definer set search_path = analytics, pg_temp
  as $$
  declare
    part record;
    removed bigint := 0;
    n bigint;
  begin
    for part in
      select c.relname
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'analytics.user_analytics'::regclass
        and c.relname ~ '^user_analytics_\d{4}_\d{2}$'
        and (to_date(substr(c.relname, 16), 'YYYY_MM') + interval '1 month')::timestamp at time zone 'UTC'
            <= p_events_before
    loop
      execute format('select count(*) from analytics.%I', part.relname) into n;
      execute format('drop table analytics.%I', part.relname);
      removed := removed + n;
    end loop;
    delete from analytics.user_analytics where occurred_at < p_events_before;
    get diagnostics n = row_count;
    removed := removed + n;
    delete from analytics.event_keys where occurred_at < p_events_before;
    delete from analytics.rollups where bucket < p_rollups_before;
    return removed;
  end $$;

-- Recording ---------------------------------------------------------------------------------------

-- Records a batch of events (a JSON array of user_analytics rows, snake_case) and adds each newly
-- recorded event's metric amounts to its counters, in one statement: an event id seen before
-- (a redelivery, a replayed client batch) adds nothing. Counters are updated in key order, so
-- concurrent batches do not deadlock on them. With an actor in the transaction (a client app's
-- batch) every event must be the actor's own. Answers how many events were new.
create function analytics.record_events(p_events jsonb) returns integer
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
        coalesce(i.user_id, '00000000-0000-0000-0000-000000000000') as user_id,
        coalesce(i.team_id, '00000000-0000-0000-0000-000000000000') as team_id,
        d.dimension, d.dimension_id, m.value::bigint as value
      from inserted i
      cross join lateral jsonb_each_text(i.metrics) m
      cross join lateral (values
        ('', '00000000-0000-0000-0000-000000000000'::uuid),
        ('bot', i.bot_id), ('workflow', i.workflow_id), ('collection', i.collection_id),
        ('account', i.account_id)
      ) d(dimension, dimension_id)
      where d.dimension_id is not null and m.value::bigint <> 0
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

-- Time ------------------------------------------------------------------------------------------

-- The start of the period (15m, hour, day, week, month) holding p_at in time zone p_zone. Every
-- zone's offset is a whole number of quarter hours, so a period is always a run of whole
-- 15-minute buckets; local hours are counted apart on a daylight-saving night.
create function analytics.period_start(p_at timestamptz, p_unit text, p_zone text) returns timestamptz
  language sql stable
  as $$
    select case p_unit
      when '15m' then date_bin('15 minutes', p_at, timestamptz '2000-01-01 00:00:00+00')
      when 'hour' then p_at - ((p_at at time zone p_zone) - date_trunc('hour', p_at at time zone p_zone))
      else date_trunc(p_unit, p_at at time zone p_zone) at time zone p_zone
    end $$;

-- The start of the period after the one starting at p_start.
create function analytics.period_end(p_start timestamptz, p_unit text, p_zone text) returns timestamptz
  language sql stable
  as $$
    select case p_unit
      when '15m' then p_start + interval '15 minutes'
      when 'hour' then p_start + interval '1 hour'
      else ((p_start at time zone p_zone) + ('1 ' || p_unit)::interval) at time zone p_zone
    end $$;

revoke all on function analytics.lock_down_partition(text) from public;
revoke all on function analytics.ensure_partitions(integer) from public;
revoke all on function analytics.prune(timestamptz, timestamptz) from public;
revoke all on function analytics.record_events(jsonb) from public;
grant execute on function analytics.ensure_partitions(integer) to analytics_app;
grant execute on function analytics.prune(timestamptz, timestamptz) to analytics_app;
grant execute on function analytics.record_events(jsonb) to analytics_app;
