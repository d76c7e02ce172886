import { asActor } from '@conduit/auth';
import { type Program, refusedKeywords } from '@conduit/basic';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { basicTools } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { loadBot } from '../bots/bot-access.js';
import { compileOrReject } from '../bots/compile-script.js';
import { HANDLER_REFUSALS } from '../handlers/handler-host.js';

export type ToolRow = typeof basicTools.$inferSelect;

export const toolDto = z.object({
  id: z.uuid(),
  botId: z.uuid(),
  name: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  script: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toToolDto = (t: ToolRow): z.infer<typeof toolDto> => ({
  id: t.id,
  botId: t.botId,
  name: t.name,
  description: t.description,
  parameters: t.parameters,
  script: t.script,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

const toolNotFound = () => new DomainError('not_found', 'This bot has no tool by that name.');

/**
 * Creates or replaces a bot's tool from its BASIC script: the script's PARAM lines become the
 * JSON Schema the LLM sees, its DESCRIPTION the function's description unless one is given.
 * Throws not_found / forbidden, unprocessable when the script does not compile.
 */
export async function putTool(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  input: { script: string; description?: string | undefined },
) {
  // An ON or WEBHOOK script runs with nobody in a chat: what needs one does not compile there.
  const program = compileOrReject(input.script, 'script', (p) =>
    p.tableTriggers.length > 0 || p.webhook ? refusedKeywords(p, HANDLER_REFUSALS) : [],
  );
  const description = input.description ?? program.description ?? '';
  const parameters = program.parameters as unknown as Record<string, unknown>;
  const metadata = handlerMetadata(program);
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    if (program.webhook) await assertWebhookFree(tx, botId, name, program.webhook);
    const now = new Date();
    const [existing] = await tx
      .select({ id: basicTools.id })
      .from(basicTools)
      .where(and(eq(basicTools.botId, botId), eq(basicTools.name, name)));
    const [row] = await tx
      .insert(basicTools)
      .values({
        id: uuidv7(),
        botId,
        name,
        description,
        parameters,
        script: input.script,
        metadata,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [basicTools.botId, basicTools.name],
        set: { description, parameters, script: input.script, metadata, updatedAt: now },
      })
      .returning();
    return { created: !existing, tool: toToolDto(row!) };
  });
}

/**
 * What a tool's script declares as an event handler (ON ... OF "table", WEBHOOK "name"), kept in
 * its metadata where table changes and webhook calls look it up (migration 0008); empty for a
 * plain tool.
 */
export function handlerMetadata(program: Program): Record<string, unknown> {
  return {
    ...(program.tableTriggers.length ? { on: program.tableTriggers } : {}),
    ...(program.webhook ? { webhook: program.webhook } : {}),
  };
}

/** Throws conflict when another script of the bot answers the same webhook. */
async function assertWebhookFree(tx: Transaction, botId: string, tool: string, webhook: string) {
  const [other] = await tx
    .select({ name: basicTools.name })
    .from(basicTools)
    .where(
      and(
        eq(basicTools.botId, botId),
        ne(basicTools.name, tool),
        sql`${basicTools.metadata} ->> 'webhook' = ${webhook}`,
      ),
    );
  if (other)
    throw new DomainError(
      'conflict',
      `The script "${other.name}" of this bot already answers WEBHOOK "${webhook}".`,
    );
}

/** A bot's tools by name (unique in the bot). Throws not_found, bad_request for a bad cursor. */
export async function listTools(deps: ConversationDeps, actor: Actor, botId: string, query: PageRequest) {
  const page = keysetPage({ by: [basicTools.name], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.read');
    const rows = await tx
      .select({ ...getTableColumns(basicTools), pageKey: page.key })
      .from(basicTools)
      .where(and(eq(basicTools.botId, botId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toToolDto);
  });
}

export async function getTool(deps: ConversationDeps, actor: Actor, botId: string, name: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.read');
    const [row] = await tx
      .select()
      .from(basicTools)
      .where(and(eq(basicTools.botId, botId), eq(basicTools.name, name)));
    if (!row) throw toolNotFound();
    return toToolDto(row);
  });
}

export async function deleteTool(deps: ConversationDeps, actor: Actor, botId: string, name: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    const deleted = await tx
      .delete(basicTools)
      .where(and(eq(basicTools.botId, botId), eq(basicTools.name, name)))
      .returning({ id: basicTools.id });
    if (deleted.length === 0) throw toolNotFound();
  });
}
