import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { workflowCredentials } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { toCredentialDto } from './credential-dto.js';
import type { CredentialSecret } from './credential-secret.js';

/**
 * Stores a credential of the caller's (or of one of their teams), sealed. Answers it without its
 * secret. Throws forbidden without `workflows.write` there, not_found for a team they are not in.
 */
export async function createCredential(
  deps: WorkflowDeps,
  actor: Actor,
  input: { name: string; secret: CredentialSecret; teamId?: string | undefined },
) {
  const { teamId } = input;
  if (teamId && !actor.platformAdmin && actor.teams[teamId] === undefined)
    throw new DomainError('not_found', 'No such team among yours.');
  if (!can(actor, 'workflows.write', teamId ? { teamId } : undefined))
    throw new DomainError('forbidden', 'Your role does not let you keep credentials here.');
  const id = uuidv7();
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .insert(workflowCredentials)
      .values({
        id,
        organizationId: actor.orgId,
        userId: actor.userId,
        teamId: teamId ?? null,
        name: input.name,
        kind: input.secret.kind,
        sealed: deps.box.encrypt(JSON.stringify(input.secret), id),
      })
      .returning();
    return toCredentialDto(row!);
  });
}
