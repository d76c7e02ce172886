import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { integrations, userIntegrations } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { type ConfigSchema, configErrors, MASK, secretFields, splitSecrets } from './config-schema.js';
import { openSecrets, sealSecrets } from './connection-secrets.js';
import { type ConnectionRow, type IntegrationRow, toConnectionDto } from './integration-dto.js';

const ref = (row: ConnectionRow) => ({ ownerUserId: row.userId, teamId: row.teamId });

/** Throws unprocessable naming each failing path when the config does not match the schema. */
function checkConfig(integration: IntegrationRow, config: Record<string, unknown>) {
  const errors = configErrors(integration.configSchema as ConfigSchema, config);
  if (errors.length)
    throw new DomainError(
      'unprocessable',
      `The config does not fit "${integration.name}": ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      {
        fields: { errors },
      },
    );
}

/** Teams a connection may be shared with: the caller's own (a platform admin's: any). */
function checkSharing(actor: Actor, teams: string[]) {
  const foreign = teams.filter((team) => !actor.platformAdmin && actor.teams[team] === undefined);
  if (foreign.length)
    throw new DomainError('unprocessable', 'A connection may be shared only with teams you are in.', {
      fields: {
        errors: foreign.map((team) => ({ path: 'sharedTeamIds', message: `not a team of yours: ${team}` })),
      },
    });
}

/** Stores what a sealed row holds: the clear part, the sealed part and the names of the sealed fields. */
function stored(
  deps: WorkflowDeps,
  id: string,
  integration: IntegrationRow,
  config: Record<string, unknown>,
) {
  const { open, sealed } = splitSecrets(integration.configSchema as ConfigSchema, config);
  return {
    config: open,
    sealed: sealSecrets(deps.box, id, sealed),
    secretFields: Object.keys(sealed).sort(),
  };
}

async function loadIntegration(tx: Transaction, integrationId: string) {
  const [row] = await tx.select().from(integrations).where(eq(integrations.id, integrationId));
  if (!row) throw new DomainError('not_found', 'No such integration.');
  return row;
}

/**
 * Creates a connection of the caller's (or of one of their teams): config checked against the
 * integration's JSON Schema (422 with the failing paths), secret fields sealed with the row id.
 * Throws not_found for an unknown integration or a team they are not in, forbidden without
 * `workflows.write` there, unprocessable for a retired integration.
 */
export async function createConnection(
  deps: WorkflowDeps,
  actor: Actor,
  input: {
    integrationId: string;
    name: string;
    config: Record<string, unknown>;
    teamId?: string | undefined;
    sharedTeamIds?: string[] | undefined;
  },
) {
  const { teamId } = input;
  if (teamId && !actor.platformAdmin && actor.teams[teamId] === undefined)
    throw new DomainError('not_found', 'No such team among yours.');
  if (!can(actor, 'workflows.write', teamId ? { teamId } : undefined))
    throw new DomainError('forbidden', 'Your role does not let you keep connections here.');
  checkSharing(actor, input.sharedTeamIds ?? []);
  return asActor(deps.db, actor, async (tx) => {
    const integration = await loadIntegration(tx, input.integrationId);
    if (!integration.isActive)
      throw new DomainError(
        'unprocessable',
        `"${integration.name}" is retired: it takes no new connections.`,
      );
    checkConfig(integration, input.config);
    const id = uuidv7();
    const [row] = await tx
      .insert(userIntegrations)
      .values({
        id,
        organizationId: actor.orgId,
        userId: actor.userId,
        teamId: teamId ?? null,
        integrationId: integration.id,
        name: input.name,
        sharedTeamIds: [...new Set(input.sharedTeamIds ?? [])],
        ...stored(deps, id, integration, input.config),
      })
      .returning();
    return toConnectionDto(row!, integration);
  });
}

/** The connections the caller may see: theirs, their teams' and those shared with their teams. */
export async function listConnections(deps: WorkflowDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [userIntegrations.name, userIntegrations.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ connection: userIntegrations, integration: integrations, pageKey: page.key })
      .from(userIntegrations)
      .innerJoin(integrations, eq(integrations.id, userIntegrations.integrationId))
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (r) => toConnectionDto(r.connection, r.integration));
  });
}

/** A connection the caller may see, with its integration. Throws not_found otherwise. */
export async function loadConnection(tx: Transaction, connectionId: string) {
  const [found] = await tx
    .select({ connection: userIntegrations, integration: integrations })
    .from(userIntegrations)
    .innerJoin(integrations, eq(integrations.id, userIntegrations.integrationId))
    .where(eq(userIntegrations.id, connectionId));
  if (!found) throw new DomainError('not_found', 'No such connection.');
  return found;
}

export async function getConnection(deps: WorkflowDeps, actor: Actor, connectionId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const { connection, integration } = await loadConnection(tx, connectionId);
    return toConnectionDto(connection, integration);
  });
}

/** Loads a connection the caller may change: not_found unless they see it, forbidden when they only see it. */
async function loadForChange(tx: Transaction, actor: Actor, connectionId: string) {
  const found = await loadConnection(tx, connectionId);
  if (!can(actor, 'workflows.write', ref(found.connection)))
    throw new DomainError('forbidden', 'You may use this connection but not change it.');
  return found;
}

/**
 * Changes a connection. A new `config` replaces the old one, except that a secret field left out
 * (or sent back masked) keeps its value: clients may send back what they were shown. Secrets are
 * sealed again with the current key. Throws not_found / forbidden / unprocessable.
 */
export async function updateConnection(
  deps: WorkflowDeps,
  actor: Actor,
  connectionId: string,
  input: {
    name?: string | undefined;
    config?: Record<string, unknown> | undefined;
    isActive?: boolean | undefined;
    sharedTeamIds?: string[] | undefined;
  },
) {
  if (input.sharedTeamIds) checkSharing(actor, input.sharedTeamIds);
  return asActor(deps.db, actor, async (tx) => {
    const { connection, integration } = await loadForChange(tx, actor, connectionId);
    let secretsChange = {};
    if (input.config) {
      const schema = integration.configSchema as ConfigSchema;
      const given = Object.fromEntries(Object.entries(input.config).filter(([, value]) => value !== MASK));
      const kept = secretFields(schema).filter(
        (name) => !(name in given) && connection.secretFields.includes(name),
      );
      const previous = kept.length ? openSecrets(deps.box, connection.id, connection.sealed) : {};
      const config = { ...given, ...Object.fromEntries(kept.map((name) => [name, previous[name]])) };
      checkConfig(integration, config);
      secretsChange = stored(deps, connection.id, integration, config);
    }
    const [row] = await tx
      .update(userIntegrations)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.isActive !== undefined ? { isActive: input.isActive } : {}),
        ...(input.sharedTeamIds ? { sharedTeamIds: [...new Set(input.sharedTeamIds)] } : {}),
        ...secretsChange,
        updatedAt: new Date(),
      })
      .where(eq(userIntegrations.id, connectionId))
      .returning();
    return toConnectionDto(row!, integration);
  });
}

/** Deletes a connection; workflows naming it fail at that node from then on. Throws not_found / forbidden. */
export async function deleteConnection(deps: WorkflowDeps, actor: Actor, connectionId: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadForChange(tx, actor, connectionId);
    await tx.delete(userIntegrations).where(eq(userIntegrations.id, connectionId));
  });
}
