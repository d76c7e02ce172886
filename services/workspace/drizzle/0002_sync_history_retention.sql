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

ALTER TABLE "workspace"."sync_horizons" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "workspace"."sync_horizons" FORCE ROW LEVEL SECURITY;
-- A member reads the horizons of their own scope and their teams'; only the prune (no actor) writes.
CREATE POLICY "sync_horizons_read" ON "workspace"."sync_horizons" FOR SELECT
  USING (sync_scope = workspace.current_user_id() OR sync_scope = ANY (workspace.current_team_ids()));
CREATE POLICY "sync_horizons_system" ON "workspace"."sync_horizons"
  USING (workspace.current_user_id() IS NULL) WITH CHECK (workspace.current_user_id() IS NULL);

ALTER TABLE "workspace"."team_departures" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "workspace"."team_departures" FORCE ROW LEVEL SECURITY;
-- Its user reads it; identity's events (applied with no actor) and the prune write it.
CREATE POLICY "team_departures_own" ON "workspace"."team_departures" FOR SELECT
  USING (user_id = workspace.current_user_id());
CREATE POLICY "team_departures_system" ON "workspace"."team_departures"
  USING (workspace.current_user_id() IS NULL) WITH CHECK (workspace.current_user_id() IS NULL);

-- Tombstones were never deleted; now only the prune (no actor) deletes them, and no user can.
CREATE POLICY "tombstones_system" ON "workspace"."tombstones" FOR SELECT
  USING (workspace.current_user_id() IS NULL);
CREATE POLICY "tombstones_system_delete" ON "workspace"."tombstones" FOR DELETE
  USING (workspace.current_user_id() IS NULL);
DROP POLICY "tombstones_delete_by_role" ON "workspace"."tombstones";
CREATE POLICY "tombstones_delete_by_role" ON "workspace"."tombstones" AS RESTRICTIVE FOR DELETE
  USING (workspace.current_user_id() IS NULL);
