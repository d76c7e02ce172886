import type { Actor } from '@conduit/contracts';

/**
 * What an app sets in place of its bot's prompt settings; null keeps the bot's own. The app's
 * prompt settings (apps/app-dto.ts) have this shape, and the compiler holds them to it where a
 * visit is made (apps/public-visits.ts).
 */
export interface AppPromptOverrides {
  systemPrompt: string | null;
  model: string | null;
  temperature: number | null;
  maxTokens: number | null;
}

/** The app a visitor talks through: whose bot answers, who pays, what the app overrides. */
export interface AppVisit {
  appId: string;
  botId: string;
  ownerUserId: string;
  teamId: string | null;
  orgId: string | null;
  prompt: AppPromptOverrides;
}

/**
 * A visitor of an app acts as a user of no organization and no team whose id is the visitor's
 * (their sessions and messages carry it, so row-level security keeps them theirs). What they may
 * reach beyond that, the app's bot, comes from `visit`, which only a verified visitor token gives.
 */
export interface VisitorActor extends Actor {
  visit: AppVisit;
}

export function visitorActor(visitorId: string, visit: AppVisit): VisitorActor {
  return {
    userId: visitorId,
    sessionId: null,
    orgId: null,
    teams: {},
    permissions: [],
    platformAdmin: false,
    visit,
  };
}

/** The app visit of an actor, when they are an app's visitor. */
export const visitOf = (actor: Actor): AppVisit | undefined => (actor as Partial<VisitorActor>).visit;

/** Whom a visitor's knowledge searches act as: the app's owner (or its team, to read), never the visitor. */
export function knowledgeReaderOf(visit: AppVisit) {
  return {
    userId: visit.ownerUserId,
    orgId: visit.orgId,
    teams: visit.teamId ? ({ [visit.teamId]: 'viewer' } as const) : {},
  };
}
