-- How long delta sync remembers deletions, and what it tells a user who left a team.
--
-- Tombstones are kept SYNC_TOMBSTONE_RETENTION and then pruned by the worker's job. Each prune
-- raises its scope's horizon (the highest change sequence it removed): a client whose position in
-- a scope is below it may have missed a deletion, so GET /v1/sync answers 410 and the client syncs
-- again from the start.
--
-- A team's rows carry the team's scope, which a user who left it no longer reads, so no tombstone
-- would ever reach them. A departure (fed by identity.team.member_removed) is a row of the user's
-- own scope, answered by the sync as "drop every row of this team"; rejoining the team
-- (identity.team.member_added, later than the departure) makes it inactive.

CREATE TABLE "workspace"."sync_horizons" (
	"sync_scope" uuid PRIMARY KEY NOT NULL,
	"pruned_through" bigint NOT NULL,
	"pruned_at" timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE "workspace"."team_departures" (
	"user_id" uuid NOT NULL,
	"left_team_id" uuid NOT NULL,
	"left_at" timestamp with time zone NOT NULL,
	"rejoined_at" timestamp with time zone,
	"sync_scope" uuid NOT NULL,
	"change_seq" bigint NOT NULL,
	CONSTRAINT "team_departures_pk" PRIMARY KEY("user_id","left_team_id")
);

-- stamp_change puts the row in its user's scope (it has no team_id or owner_user_id column).
CREATE TRIGGER "team_departures_stamp" BEFORE INSERT OR UPDATE ON "workspace"."team_departures"
  FOR EACH ROW EXECUTE FUNCTION "workspace"."stamp_change"();
CREATE INDEX "team_departures_change_idx" ON "workspace"."team_departures" ("sync_scope", "change_seq");
CREATE INDEX "tombstones_deleted_at_idx" ON "workspace"."tombstones" ("deleted_at");

-- Both tables are read by their users only; what writes them runs with no actor through the narrow
-- functions below (as the owner), so a transaction without an actor still sees no row at all.
ALTER TABLE "workspace"."sync_horizons" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "workspace"."sync_horizons" FORCE ROW LEVEL SECURITY;
CREATE POLICY "sync_horizons_read" ON "workspace"."sync_horizons" FOR SELECT
  USING (sync_scope = workspace.current_user_id() OR sync_scope = ANY (workspace.current_team_ids()));

ALTER TABLE "workspace"."team_departures" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "workspace"."team_departures" FORCE ROW LEVEL SECURITY;
CREATE POLICY "team_departures_own" ON "workspace"."team_departures" FOR SELECT
  USING (user_id = workspace.current_user_id());

-- identity.team.member_removed: the latest of several departures wins.
CREATE FUNCTION "workspace"."record_team_departure"(p_user_id uuid, p_team_id uuid, p_at timestamptz)
  RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = workspace, pg_temp
  AS $$
    insert into workspace.team_departures (user_id, left_team_id, left_at)
    values (p_user_id, p_team_id, p_at)
    on conflict (user_id, left_team_id) do update
      set left_at = greatest(team_departures.left_at, excluded.left_at)
  $$;

-- identity.team.member_added: undoes a departure before it. Kept even with no departure known yet,
-- since the two events may be applied out of order: a departure that happened earlier but arrives
-- later then stays inactive.
CREATE FUNCTION "workspace"."record_team_return"(p_user_id uuid, p_team_id uuid, p_at timestamptz)
  RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = workspace, pg_temp
  AS $$
    insert into workspace.team_departures (user_id, left_team_id, left_at, rejoined_at)
    values (p_user_id, p_team_id, '-infinity', p_at)
    on conflict (user_id, left_team_id) do update
      set rejoined_at = greatest(team_departures.rejoined_at, excluded.rejoined_at)
  $$;

-- Forgets up to p_batch tombstones and up to p_batch ended departures from before p_before, and
-- raises each scope's horizon to the highest change sequence removed from it. A departure that a
-- return undid tells a client nothing it could miss, so it raises none. Answers how many rows went.
CREATE FUNCTION "workspace"."prune_sync_history"(p_before timestamptz, p_batch integer)
  RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = workspace, pg_temp
  AS $$
    with gone as (
      delete from workspace.tombstones
      where ctid in (select ctid from workspace.tombstones where deleted_at < p_before limit p_batch)
      returning sync_scope, change_seq
    ), departed as (
      delete from workspace.team_departures
      where ctid in (select ctid from workspace.team_departures
                     where greatest(left_at, coalesce(rejoined_at, left_at)) < p_before limit p_batch)
      returning sync_scope, change_seq, (rejoined_at is null or left_at > rejoined_at) as active
    ), removed as (
      select sync_scope, change_seq from gone
      union all select sync_scope, change_seq from departed where active
    ), raised as (
      insert into workspace.sync_horizons (sync_scope, pruned_through)
      select sync_scope, max(change_seq) from removed group by sync_scope
      on conflict (sync_scope) do update
        set pruned_through = greatest(sync_horizons.pruned_through, excluded.pruned_through),
            pruned_at = now()
    )
    select ((select count(*) from gone) + (select count(*) from departed))::integer
  $$;

REVOKE ALL ON FUNCTION "workspace"."record_team_departure"(uuid, uuid, timestamptz) FROM public;
REVOKE ALL ON FUNCTION "workspace"."record_team_return"(uuid, uuid, timestamptz) FROM public;
REVOKE ALL ON FUNCTION "workspace"."prune_sync_history"(timestamptz, integer) FROM public;
GRANT EXECUTE ON FUNCTION "workspace"."record_team_departure"(uuid, uuid, timestamptz) TO workspace_app;
GRANT EXECUTE ON FUNCTION "workspace"."record_team_return"(uuid, uuid, timestamptz) TO workspace_app;
GRANT EXECUTE ON FUNCTION "workspace"."prune_sync_history"(timestamptz, integer) TO workspace_app;
