import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { integrations } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { schemaProblem } from './config-schema.js';
import { toIntegrationDto } from './integration-dto.js';

/** The kinds the engine knows how to use (http-request node, tests, automations). */
export const integrationKinds = [
  'http-bearer',
  'http-basic',
  'http-api-key',
  'chat-webhook',
  'smtp',
  'openai-compatible',
] as const;

/** The catalog, by category and name; retired entries only with `all` (platform admins). */
export async function listIntegrations(
  deps: WorkflowDeps,
  actor: Actor,
  query: PageRequest & { category?: string | undefined; all?: boolean | undefined },
) {
  const page = keysetPage(
    { by: [integrations.category, integrations.name, integrations.id], order: 'asc' },
    query,
  );
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(integrations), pageKey: page.key })
      .from(integrations)
      .where(
        and(
          query.category ? eq(integrations.category, query.category) : undefined,
          query.all && actor.platformAdmin ? undefined : eq(integrations.isActive, true),
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toIntegrationDto);
  });
}

const onlyAdmins = (actor: Actor) => {
  if (!actor.platformAdmin)
    throw new DomainError('forbidden', 'Only platform admins keep the integrations catalog.');
};

const checkSchema = (schema: unknown) => {
  const problem = schemaProblem(schema);
  if (problem)
    throw new DomainError('unprocessable', `The config schema is not usable: ${problem}`, {
      fields: { errors: [{ path: 'configSchema', message: problem }] },
    });
};

/** Adds a catalog entry. Throws forbidden for anyone but a platform admin, conflict for a taken key. */
export async function createIntegration(
  deps: WorkflowDeps,
  actor: Actor,
  input: {
    key: string;
    name: string;
    category: string;
    description?: string | undefined;
    kind: (typeof integrationKinds)[number];
    configSchema: Record<string, unknown>;
  },
) {
  onlyAdmins(actor);
  checkSchema(input.configSchema);
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .insert(integrations)
      .values({ id: uuidv7(), ...input, description: input.description ?? '' })
      .onConflictDoNothing({ target: integrations.key })
      .returning();
    if (!row) throw new DomainError('conflict', `An integration with key "${input.key}" exists already.`);
    return toIntegrationDto(row);
  });
}

/**
 * Changes a catalog entry: its texts, or retires it (`isActive: false`: no new connections;
 * existing ones keep working) or brings it back. Throws forbidden / not_found.
 */
export async function updateIntegration(
  deps: WorkflowDeps,
  actor: Actor,
  integrationId: string,
  input: {
    name?: string | undefined;
    description?: string | undefined;
    category?: string | undefined;
    isActive?: boolean | undefined;
  },
) {
  onlyAdmins(actor);
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .update(integrations)
      .set({ ...input, updatedAt: new Date() })
      .where(eq(integrations.id, integrationId))
      .returning();
    if (!row) throw new DomainError('not_found', 'No such integration.');
    return toIntegrationDto(row);
  });
}
