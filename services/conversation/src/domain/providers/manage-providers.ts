import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, getTableColumns } from 'drizzle-orm';
import { z } from 'zod';
import { providers } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';

type ProviderRow = typeof providers.$inferSelect;

/** A provider as clients see it: whether it has a key, never the key. */
export const providerDto = z.object({
  id: z.uuid(),
  orgId: z.uuid().nullable(),
  name: z.string(),
  kind: z.literal('openai-compatible'),
  baseUrl: z.string(),
  hasApiKey: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const toDto = (p: ProviderRow): z.infer<typeof providerDto> => ({
  id: p.id,
  orgId: p.orgId,
  name: p.name,
  kind: p.kind,
  baseUrl: p.baseUrl,
  hasApiKey: p.apiKeySealed !== null,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const providerNotFound = () => new DomainError('not_found', 'No such provider.');

/** Providers are the organization's: reading takes bots.read, changing them org.manage. */
function assertManage(actor: Actor) {
  if (!can(actor, 'org.manage', actor.orgId ? { orgId: actor.orgId } : undefined))
    throw new DomainError('forbidden', "Only the organization's owners and admins manage AI providers.");
}
function assertRead(actor: Actor) {
  if (!can(actor, 'bots.read')) throw new DomainError('forbidden', 'You may not see AI providers.');
}

const keyVersionOf = (sealed: string) => Number(sealed.split('.')[0]!.slice(1));

export async function createProvider(
  deps: ConversationDeps,
  actor: Actor,
  input: { name: string; baseUrl: string; apiKey?: string | undefined },
) {
  assertManage(actor);
  const id = uuidv7();
  const sealed = input.apiKey ? deps.box.encrypt(input.apiKey, id) : null;
  return asActor(deps.db, actor, async (tx) => {
    const now = new Date();
    const [row] = await tx
      .insert(providers)
      .values({
        id,
        orgId: actor.orgId,
        ownerUserId: actor.userId,
        name: input.name,
        baseUrl: input.baseUrl,
        apiKeySealed: sealed,
        keyVersion: sealed ? keyVersionOf(sealed) : null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return toDto(row!);
  });
}

/** By name. Throws bad_request for a cursor this list did not give. */
export async function listProviders(deps: ConversationDeps, actor: Actor, query: PageRequest) {
  assertRead(actor);
  const page = keysetPage({ by: [providers.name, providers.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(providers), pageKey: page.key })
      .from(providers)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toDto);
  });
}

export async function getProvider(deps: ConversationDeps, actor: Actor, id: string) {
  assertRead(actor);
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx.select().from(providers).where(eq(providers.id, id));
    if (!row) throw providerNotFound();
    return toDto(row);
  });
}

/** `apiKey: null` removes the key; a new key is sealed with the newest key version. */
export async function updateProvider(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
  input: { name?: string | undefined; baseUrl?: string | undefined; apiKey?: string | null | undefined },
) {
  return asActor(deps.db, actor, async (tx) => {
    const [existing] = await tx.select().from(providers).where(eq(providers.id, id));
    if (!existing) throw providerNotFound();
    assertManage(actor);
    const sealed =
      input.apiKey === undefined
        ? undefined
        : input.apiKey === null
          ? null
          : deps.box.encrypt(input.apiKey, id);
    const [row] = await tx
      .update(providers)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.baseUrl !== undefined ? { baseUrl: input.baseUrl } : {}),
        ...(sealed !== undefined
          ? { apiKeySealed: sealed, keyVersion: sealed ? keyVersionOf(sealed) : null }
          : {}),
        updatedAt: new Date(),
      })
      .where(eq(providers.id, id))
      .returning();
    return toDto(row!);
  });
}

export async function deleteProvider(deps: ConversationDeps, actor: Actor, id: string) {
  await asActor(deps.db, actor, async (tx) => {
    const [existing] = await tx.select({ id: providers.id }).from(providers).where(eq(providers.id, id));
    if (!existing) throw providerNotFound();
    assertManage(actor);
    await tx.delete(providers).where(eq(providers.id, id));
  });
}
