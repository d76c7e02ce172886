import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { appVisitors } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { type VisitorActor, visitorActor } from '../app-visits/visitor-actor.js';
import { startSession } from '../replies/start-session.js';
import { publicMediaPath } from './app-media.js';
import { type PublicApp, withPublicApp } from './public-app.js';
import { signVisitorToken, verifyVisitorToken } from './visitor-token.js';

/** What the widget needs to draw itself: the app's name and appearance, media as download paths. */
export function widgetConfig(publicApp: PublicApp) {
  const { app, appearance } = publicApp;
  return {
    name: app.name,
    ...appearance,
    logoUrl: appearance.logoMediaId ? publicMediaPath(appearance.logoMediaId) : null,
    avatarUrl: appearance.avatarMediaId ? publicMediaPath(appearance.avatarMediaId) : null,
  };
}

const visitOfApp = (publicApp: PublicApp) => ({
  appId: publicApp.app.id,
  botId: publicApp.app.botId,
  ownerUserId: publicApp.app.ownerUserId,
  teamId: publicApp.app.teamId,
  orgId: publicApp.app.orgId,
  prompt: publicApp.prompt,
});

/** Admits a new anonymous visitor to a published app and gives them a short-lived token. */
export async function admitVisitor(deps: ConversationDeps, publicKey: string, publicApp: PublicApp) {
  const visitor = visitorActor(uuidv7(), visitOfApp(publicApp));
  await withPublicApp(
    deps.db,
    publicKey,
    (tx) =>
      tx.insert(appVisitors).values({ id: visitor.userId, appId: publicApp.app.id, createdAt: new Date() }),
    visitor,
  );
  const { token, expiresAt } = await signVisitorToken(deps.env, visitor.userId, publicApp.app.id);
  return { visitorId: visitor.userId, token, expiresAt: expiresAt.toISOString() };
}

/**
 * The visitor a request's token names, for this app only. Throws unauthorized for a missing,
 * invalid or expired token, or one given for another app.
 */
export async function visitorOf(
  deps: ConversationDeps,
  publicApp: PublicApp,
  token: string | undefined,
): Promise<VisitorActor> {
  const verified = token ? await verifyVisitorToken(deps.env, token) : null;
  if (!verified || verified.appId !== publicApp.app.id)
    throw new DomainError(
      'unauthorized',
      'Send a visitor token of this app as "Authorization: Bearer <token>" (POST .../visitor gives one).',
    );
  return visitorActor(verified.visitorId, visitOfApp(publicApp));
}

/** A chat session of the visitor with the app's bot, as startSession starts one (channel `widget`). */
export function startVisitorSession(
  deps: ConversationDeps,
  visitor: VisitorActor,
  title: string | undefined,
) {
  return startSession(deps, visitor, visitor.visit.botId, { channel: 'widget', title });
}
