import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, getTableColumns } from 'drizzle-orm';
import { z } from 'zod';
import { prompts } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';

type PromptRow = typeof prompts.$inferSelect;

export const promptDto = z.object({
  id: z.uuid(),
  orgId: z.uuid().nullable(),
  ownerUserId: z.uuid(),
  name: z.string(),
  content: z.string(),
  variables: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const toDto = (p: PromptRow): z.infer<typeof promptDto> => ({
  id: p.id,
  orgId: p.orgId,
  ownerUserId: p.ownerUserId,
  name: p.name,
  content: p.content,
  variables: p.variables,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

/** The `{{variables}}` of a prompt, in order of first use. */
export const variablesOf = (content: string) => [
  ...new Set([...content.matchAll(/\{\{\s*([\w.-]+)\s*\}\}/g)].map((m) => m[1]!)),
];

/** Fills a prompt's variables; unknown ones stay as written. */
export const renderPrompt = (content: string, values: Record<string, string>) =>
  content.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);

const promptNotFound = () => new DomainError('not_found', 'No such prompt.');

/** Prompts are shared in the organization: read with bots.read, written with bots.write. */
function assert(actor: Actor, permission: 'bots.read' | 'bots.write') {
  if (!can(actor, permission))
    throw new DomainError(
      'forbidden',
      permission === 'bots.read' ? 'You may not see prompts.' : 'You may not change prompts.',
    );
}

export async function createPrompt(
  deps: ConversationDeps,
  actor: Actor,
  input: { name: string; content: string },
) {
  assert(actor, 'bots.write');
  return asActor(deps.db, actor, async (tx) => {
    const now = new Date();
    const [row] = await tx
      .insert(prompts)
      .values({
        id: uuidv7(),
        orgId: actor.orgId,
        ownerUserId: actor.userId,
        name: input.name,
        content: input.content,
        variables: variablesOf(input.content),
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return toDto(row!);
  });
}

/** By name. Throws bad_request for a cursor this list did not give. */
export async function listPrompts(deps: ConversationDeps, actor: Actor, query: PageRequest) {
  assert(actor, 'bots.read');
  const page = keysetPage({ by: [prompts.name, prompts.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(prompts), pageKey: page.key })
      .from(prompts)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toDto);
  });
}

export async function getPrompt(deps: ConversationDeps, actor: Actor, id: string) {
  assert(actor, 'bots.read');
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx.select().from(prompts).where(eq(prompts.id, id));
    if (!row) throw promptNotFound();
    return toDto(row);
  });
}

export async function updatePrompt(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
  input: { name?: string | undefined; content?: string | undefined },
) {
  return asActor(deps.db, actor, async (tx) => {
    const [existing] = await tx.select().from(prompts).where(eq(prompts.id, id));
    if (!existing) throw promptNotFound();
    assert(actor, 'bots.write');
    const [row] = await tx
      .update(prompts)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.content !== undefined
          ? { content: input.content, variables: variablesOf(input.content) }
          : {}),
        updatedAt: new Date(),
      })
      .where(eq(prompts.id, id))
      .returning();
    return toDto(row!);
  });
}

export async function deletePrompt(deps: ConversationDeps, actor: Actor, id: string) {
  await asActor(deps.db, actor, async (tx) => {
    const [existing] = await tx.select({ id: prompts.id }).from(prompts).where(eq(prompts.id, id));
    if (!existing) throw promptNotFound();
    assert(actor, 'bots.write');
    await tx.delete(prompts).where(eq(prompts.id, id));
  });
}
