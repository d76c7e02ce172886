import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { createOutboundHttp } from '@conduit/outbound-http';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { appRestrictedUrls, domains } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { asAppManager, loadApp } from './app-access.js';
import { newVerificationToken } from './app-keys.js';

// Where an app may be embedded: restricted URLs (an origin, optionally a path prefix) and custom
// domains, which count once verified over HTTP.

type RestrictedUrlRow = typeof appRestrictedUrls.$inferSelect;
type DomainRow = typeof domains.$inferSelect;

export const VERIFICATION_PATH = '/.well-known/conduit-domain-verification';

const toRestrictedUrlDto = (row: RestrictedUrlRow) => ({
  id: row.id,
  origin: row.origin,
  pathPrefix: row.pathPrefix,
  createdAt: row.createdAt.toISOString(),
});

const toDomainDto = (row: DomainRow) => ({
  id: row.id,
  domain: row.domain,
  verificationToken: row.verificationToken,
  status: row.status,
  verifiedAt: row.verifiedAt?.toISOString() ?? null,
  lastCheckedAt: row.lastCheckedAt?.toISOString() ?? null,
  lastError: row.lastError,
  createdAt: row.createdAt.toISOString(),
});

/**
 * A page URL as a restricted URL: its origin (what browsers send as Origin) and its path as the
 * prefix, none for `/`. Throws unprocessable for anything but http(s) without credentials.
 */
export function restrictedUrlOf(url: string): { origin: string; pathPrefix: string | null } {
  const parsed = new URL(url);
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password)
    throw new DomainError('unprocessable', 'url: must be an http(s) page address without credentials.', {
      fields: { url: 'not an http(s) page address' },
    });
  const path = parsed.pathname.replace(/\/+$/, '');
  return { origin: parsed.origin, pathPrefix: path === '' ? null : path };
}

export async function listRestrictedUrls(
  deps: ConversationDeps,
  actor: Actor,
  appId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [appRestrictedUrls.createdAt, appRestrictedUrls.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadApp(tx, actor, appId, 'read');
    const rows = await tx
      .select({ ...getTableColumns(appRestrictedUrls), pageKey: page.key })
      .from(appRestrictedUrls)
      .where(and(eq(appRestrictedUrls.appId, appId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    const { items, nextCursor } = page.of(rows, (row) => row);
    return { items: items.map(toRestrictedUrlDto), nextCursor };
  });
}

/** Throws not_found / forbidden, unprocessable (not an http(s) page), conflict (already listed). */
export async function addRestrictedUrl(deps: ConversationDeps, actor: Actor, appId: string, url: string) {
  const place = restrictedUrlOf(url);
  return asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage', { lock: true });
    const existing = await tx
      .select({ origin: appRestrictedUrls.origin, pathPrefix: appRestrictedUrls.pathPrefix })
      .from(appRestrictedUrls)
      .where(eq(appRestrictedUrls.appId, appId));
    if (existing.some((row) => row.origin === place.origin && row.pathPrefix === place.pathPrefix))
      throw new DomainError('conflict', 'That URL is already listed.');
    if (existing.length >= 100) throw new DomainError('unprocessable', 'An app lists at most 100 URLs.');
    const [row] = await tx
      .insert(appRestrictedUrls)
      .values({ id: uuidv7(), appId, ...place, createdAt: new Date() })
      .returning();
    return toRestrictedUrlDto(row!);
  });
}

/** Throws not_found (app or URL) / forbidden. */
export async function removeRestrictedUrl(
  deps: ConversationDeps,
  actor: Actor,
  appId: string,
  urlId: string,
) {
  await asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage');
    const removed = await tx
      .delete(appRestrictedUrls)
      .where(and(eq(appRestrictedUrls.id, urlId), eq(appRestrictedUrls.appId, appId)))
      .returning({ id: appRestrictedUrls.id });
    if (removed.length === 0) throw new DomainError('not_found', 'No such URL.');
  });
}

export async function listDomains(
  deps: ConversationDeps,
  actor: Actor,
  appId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [domains.createdAt, domains.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadApp(tx, actor, appId, 'read');
    const rows = await tx
      .select({ ...getTableColumns(domains), pageKey: page.key })
      .from(domains)
      .where(and(eq(domains.appId, appId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    const { items, nextCursor } = page.of(rows, (row) => row);
    return { items: items.map(toDomainDto), nextCursor };
  });
}

/**
 * Adds a custom domain, pending until verified, with the token it must serve. Throws not_found /
 * forbidden, conflict (already added).
 */
export async function addDomain(deps: ConversationDeps, actor: Actor, appId: string, domain: string) {
  return asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage', { lock: true });
    const [existing] = await tx
      .select({ id: domains.id })
      .from(domains)
      .where(and(eq(domains.appId, appId), eq(domains.domain, domain)));
    if (existing) throw new DomainError('conflict', 'That domain is already added.');
    const now = new Date();
    const [row] = await tx
      .insert(domains)
      .values({
        id: uuidv7(),
        appId,
        domain,
        verificationToken: newVerificationToken(),
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return toDomainDto(row!);
  });
}

/** Throws not_found (app or domain) / forbidden. */
export async function removeDomain(deps: ConversationDeps, actor: Actor, appId: string, domainId: string) {
  await asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage');
    const removed = await tx
      .delete(domains)
      .where(and(eq(domains.id, domainId), eq(domains.appId, appId)))
      .returning({ id: domains.id });
    if (removed.length === 0) throw new DomainError('not_found', 'No such domain.');
  });
}

/**
 * Fetches the domain's verification file (https first, then http when https cannot be reached)
 * through the outbound address check, and records what it found: verified when the file holds the
 * token, failed with the reason otherwise. Throws not_found (app or domain) / forbidden.
 */
export async function verifyDomain(deps: ConversationDeps, actor: Actor, appId: string, domainId: string) {
  const manager = asAppManager(actor);
  const row = await asActor(deps.db, manager, async (tx) => {
    await loadApp(tx, actor, appId, 'manage');
    const [found] = await tx
      .select()
      .from(domains)
      .where(and(eq(domains.id, domainId), eq(domains.appId, appId)));
    if (!found) throw new DomainError('not_found', 'No such domain.');
    return found;
  });
  const outcome = await fetchVerification(deps, row.domain, row.verificationToken);
  return asActor(deps.db, manager, async (tx) => {
    const now = new Date();
    const [updated] = await tx
      .update(domains)
      .set({
        status: outcome.ok ? 'verified' : 'failed',
        verifiedAt: outcome.ok ? now : null,
        lastCheckedAt: now,
        lastError: outcome.ok ? null : outcome.error,
        updatedAt: now,
      })
      .where(and(eq(domains.id, domainId), eq(domains.appId, appId)))
      .returning();
    if (!updated) throw new DomainError('not_found', 'No such domain.');
    return toDomainDto(updated);
  });
}

async function fetchVerification(
  deps: ConversationDeps,
  domain: string,
  token: string,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const http = createOutboundHttp({
    allow: deps.env.DOMAIN_VERIFY_ALLOW,
    timeoutMs: deps.env.DOMAIN_VERIFY_TIMEOUT,
    maxBytes: 4096,
  });
  let lastError = '';
  for (const scheme of ['https', 'http']) {
    const url = `${scheme}://${domain}${VERIFICATION_PATH}`;
    let answer: Awaited<ReturnType<typeof http.request>>;
    try {
      answer = await http.request({ method: 'GET', url });
    } catch (error) {
      // Unreachable over this scheme (or a refused address): try the next, remember why.
      lastError = `${url}: ${(error as Error).message}`.slice(0, 500);
      continue;
    }
    if (answer.status !== 200) return { ok: false, error: `${url} answered ${answer.status}` };
    if (answer.body.toString('utf8').trim() !== token)
      return { ok: false, error: `${url} does not hold this domain's verification token` };
    return { ok: true };
  }
  return { ok: false, error: lastError };
}
