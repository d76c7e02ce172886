// The audit trail every verb writes to (sign-ins, role and membership changes, top-ups), in a
// folder of its own below them: activity/list-activity.ts, which reads it, checks access through
// rbac and sessions, which write to it.

import type { Database, Transaction } from '@conduit/db';
import { uuidv7 } from '@conduit/db';
import { userAccountActivities } from '../../db/schema.js';
import type { ClientInfo } from '../../deps.js';

export type ActivityType =
  | 'registered'
  | 'login'
  | 'login_failed'
  | 'login_throttled'
  | 'logout'
  | 'session_revoked'
  | 'password_reset_requested'
  | 'password_changed'
  | 'profile_changed'
  | 'organization_created'
  | 'invite_sent'
  | 'invite_accepted'
  | 'team_created'
  | 'member_added'
  | 'member_removed'
  | 'member_role_changed'
  | 'left_team'
  | 'role_created'
  | 'role_deleted'
  | 'role_permissions_changed'
  | 'role_granted'
  | 'role_revoked'
  | 'permission_granted'
  | 'permission_revoked'
  | 'plan_changed'
  | 'credits_topped_up'
  | 'settings_changed';

export interface Activity {
  /** Whose account the event concerns (the trail is theirs to read). */
  userId: string;
  type: ActivityType;
  organizationId?: string | null;
  client?: ClientInfo | undefined;
  metadata?: Record<string, unknown>;
}

/**
 * Appends to the account's audit trail, in the caller's transaction so the record and the change
 * commit together. The table is append-only for the service (no UPDATE or DELETE grant).
 */
export async function recordActivity(tx: Transaction | Database, activity: Activity): Promise<void> {
  await tx.insert(userAccountActivities).values({
    id: uuidv7(),
    userId: activity.userId,
    organizationId: activity.organizationId ?? null,
    type: activity.type,
    ip: activity.client?.ip ?? null,
    userAgent: activity.client?.userAgent?.slice(0, 500) ?? null,
    metadata: activity.metadata ?? {},
  });
}
