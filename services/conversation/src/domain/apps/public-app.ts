import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Database, Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import {
  appAppearances,
  appPromptEngineeringSettings,
  appRestrictedUrls,
  apps,
  domains,
} from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import type { AppRow } from './app-access.js';
import { publicKeySchema, toAppearanceDto, toPromptSettingsDto } from './app-dto.js';

export type PromptSettings = ReturnType<typeof toPromptSettingsDto>;

/** A published app as the public widget API sees it, with everything its requests are checked against. */
export interface PublicApp {
  app: AppRow;
  appearance: ReturnType<typeof toAppearanceDto>;
  prompt: PromptSettings;
  /** Restricted URLs: an origin, and the path prefix its pages must be under (null: any page). */
  places: { origin: string; pathPrefix: string | null }[];
  /** Verified custom domains (host[:port]): their pages may embed the app over http and https. */
  domains: string[];
}

/**
 * A transaction in which row-level security shows the app of `publicKey` while it is published
 * (app.public_app_key), as nobody or, for a visitor's own rows, as `visitor`.
 */
export function withPublicApp<T>(
  db: Database,
  publicKey: string,
  fn: (tx: Transaction) => Promise<T>,
  visitor?: Actor,
): Promise<T> {
  const run = async (tx: Transaction) => {
    await tx.execute(sql`select set_config('app.public_app_key', ${publicKey}, true)`);
    return fn(tx);
  };
  return visitor ? asActor(db, visitor, run) : db.transaction(run);
}

export const publicAppNotFound = () => new DomainError('not_found', 'No such app, or it is not published.');

/** The published app of a public key. Throws not_found (unknown key, draft or disabled app). */
export async function loadPublicApp(deps: ConversationDeps, publicKey: string): Promise<PublicApp> {
  if (!publicKeySchema.safeParse(publicKey).success) throw publicAppNotFound();
  return withPublicApp(deps.db, publicKey, async (tx) => {
    const [app] = await tx
      .select()
      .from(apps)
      .where(and(eq(apps.publicKey, publicKey), eq(apps.status, 'published')));
    if (!app) throw publicAppNotFound();
    const [[appearance], [prompt], places, verified] = await Promise.all([
      tx.select().from(appAppearances).where(eq(appAppearances.appId, app.id)),
      tx.select().from(appPromptEngineeringSettings).where(eq(appPromptEngineeringSettings.appId, app.id)),
      tx
        .select({ origin: appRestrictedUrls.origin, pathPrefix: appRestrictedUrls.pathPrefix })
        .from(appRestrictedUrls)
        .where(eq(appRestrictedUrls.appId, app.id)),
      tx
        .select({ domain: domains.domain })
        .from(domains)
        .where(and(eq(domains.appId, app.id), eq(domains.status, 'verified'))),
    ]);
    return {
      app,
      appearance: toAppearanceDto(appearance),
      prompt: toPromptSettingsDto(prompt),
      places,
      domains: verified.map((row) => row.domain),
    };
  });
}

/**
 * May a page of `origin` (at `pagePath`, as the widget reports it) use the app? Its origin must be
 * a restricted URL's, under that URL's path prefix if it has one, or a verified domain's. The path
 * is the widget's word (browsers send cross-origin requests with the origin alone), so it narrows
 * where an honest page shows the app; the origin is what browsers vouch for. A null path (a CORS
 * preflight, which carries no header values) asks about the origin alone.
 */
export function originAllowed(
  app: PublicApp,
  origin: string | undefined,
  pagePath: string | null | undefined,
): boolean {
  if (!origin || origin === 'null') return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin !== origin) return false;
  const path = pagePath === undefined ? '/' : pagePath;
  const underPrefix = (prefix: string | null) =>
    prefix === null || path === null || path === prefix || path.startsWith(`${prefix}/`);
  if (app.places.some((place) => place.origin === origin && underPrefix(place.pathPrefix))) return true;
  return (
    ['http:', 'https:'].includes(parsed.protocol) && app.domains.some((domain) => domain === parsed.host)
  );
}
