import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, getTableColumns } from 'drizzle-orm';
import { z } from 'zod';
import { aiModels, providers, userPreferences } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';

type ModelRow = typeof aiModels.$inferSelect;

export const modelDto = z.object({
  id: z.uuid(),
  orgId: z.uuid().nullable(),
  providerId: z.uuid().nullable(),
  name: z.string(),
  type: z.enum(['chat', 'embedding']),
  configSchema: z.record(z.string(), z.unknown()),
  config: z.record(z.string(), z.unknown()),
  active: z.boolean(),
  builtIn: z.boolean(),
});

const toDto = (m: ModelRow): z.infer<typeof modelDto> => ({
  id: m.id,
  orgId: m.orgId,
  providerId: m.providerId,
  name: m.name,
  type: m.type,
  configSchema: m.configSchema,
  config: m.config,
  active: m.active,
  builtIn: m.orgId === null && m.providerId === null,
});

const modelNotFound = () => new DomainError('not_found', 'No such model.');

function assertManage(actor: Actor) {
  if (!actor.orgId && !actor.platformAdmin)
    throw new DomainError('forbidden', 'Models belong to an organization; act in one.');
  if (!can(actor, 'org.manage', actor.orgId ? { orgId: actor.orgId } : undefined))
    throw new DomainError('forbidden', "Only the organization's owners and admins manage models.");
}

/** The catalog the actor can use: built-in models and their organization's, by name. */
export async function listModels(deps: ConversationDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [aiModels.name, aiModels.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(aiModels), pageKey: page.key })
      .from(aiModels)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toDto);
  });
}

export interface ModelInput {
  providerId: string;
  name: string;
  type?: 'chat' | 'embedding' | undefined;
  configSchema?: Record<string, unknown> | undefined;
  config?: Record<string, unknown> | undefined;
  active?: boolean | undefined;
}

/** Adds a model of one of the organization's providers. Throws forbidden, not_found (provider). */
export async function createModel(deps: ConversationDeps, actor: Actor, input: ModelInput) {
  assertManage(actor);
  return asActor(deps.db, actor, async (tx) => {
    const [provider] = await tx
      .select({ id: providers.id })
      .from(providers)
      .where(eq(providers.id, input.providerId));
    if (!provider) throw new DomainError('not_found', 'No such provider.');
    const now = new Date();
    const [row] = await tx
      .insert(aiModels)
      .values({
        id: uuidv7(),
        orgId: actor.orgId,
        providerId: input.providerId,
        name: input.name,
        type: input.type ?? 'chat',
        configSchema: input.configSchema ?? {},
        config: input.config ?? {},
        active: input.active ?? true,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return toDto(row!);
  });
}

export async function updateModel(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
  input: Partial<Omit<ModelInput, 'providerId'>>,
) {
  return asActor(deps.db, actor, async (tx) => {
    const [existing] = await tx.select().from(aiModels).where(eq(aiModels.id, id));
    if (!existing) throw modelNotFound();
    if (existing.orgId === null && !actor.platformAdmin)
      throw new DomainError('forbidden', 'Built-in models cannot be changed.');
    assertManage(actor);
    const [row] = await tx
      .update(aiModels)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.type !== undefined ? { type: input.type } : {}),
        ...(input.configSchema !== undefined ? { configSchema: input.configSchema } : {}),
        ...(input.config !== undefined ? { config: input.config } : {}),
        ...(input.active !== undefined ? { active: input.active } : {}),
        updatedAt: new Date(),
      })
      .where(eq(aiModels.id, id))
      .returning();
    return toDto(row!);
  });
}

export async function deleteModel(deps: ConversationDeps, actor: Actor, id: string) {
  await asActor(deps.db, actor, async (tx) => {
    const [existing] = await tx.select().from(aiModels).where(eq(aiModels.id, id));
    if (!existing) throw modelNotFound();
    if (existing.orgId === null) throw new DomainError('forbidden', 'Built-in models cannot be deleted.');
    assertManage(actor);
    await tx.delete(aiModels).where(eq(aiModels.id, id));
  });
}

/** The actor's chosen chat model (null: each bot's own, else the offline model). */
export async function getModelPreference(deps: ConversationDeps, actor: Actor) {
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx.select().from(userPreferences).where(eq(userPreferences.userId, actor.userId));
    return { modelId: row?.modelId ?? null };
  });
}

/** Throws not_found for a model the actor cannot see, unprocessable for an inactive or non-chat one. */
export async function setModelPreference(deps: ConversationDeps, actor: Actor, modelId: string | null) {
  return asActor(deps.db, actor, async (tx) => {
    if (modelId) {
      const [model] = await tx.select().from(aiModels).where(eq(aiModels.id, modelId));
      if (!model) throw modelNotFound();
      if (!model.active || model.type !== 'chat')
        throw new DomainError('unprocessable', 'Choose an active chat model.');
    }
    const now = new Date();
    await tx
      .insert(userPreferences)
      .values({ userId: actor.userId, modelId, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: userPreferences.userId, set: { modelId, updatedAt: now } });
    return { modelId };
  });
}
