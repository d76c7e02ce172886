import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { inArray } from 'drizzle-orm';
import { workflowCredentials } from '../../db/schema.js';
import type { WorkflowDocument } from './workflow-document.js';

/** Every credential a node names: `config.credential`, and a webhook's `config.auth.credential`. */
export function credentialReferences(
  document: WorkflowDocument,
): { node: number; id: string; path: string }[] {
  const found: { node: number; id: string; path: string }[] = [];
  document.nodes.forEach((node, i) => {
    const config = node.config as { credential?: unknown; auth?: { credential?: unknown } } | null;
    if (typeof config?.credential === 'string')
      found.push({ node: i, id: config.credential, path: `nodes.${i}.config.credential` });
    if (typeof config?.auth?.credential === 'string')
      found.push({ node: i, id: config.auth.credential, path: `nodes.${i}.config.auth.credential` });
  });
  return found;
}

/**
 * A workflow may name only credentials of its own owner (or its team): it runs as its owner, and
 * a share holder's credentials are not the owner's to use. Reads in the saver's transaction (their
 * row-level security) and throws unprocessable naming each reference that is not usable.
 */
export async function checkCredentialReferences(
  tx: Transaction,
  owner: { userId: string; teamId: string | null },
  document: WorkflowDocument,
): Promise<void> {
  const references = credentialReferences(document);
  if (!references.length) return;
  const rows = await tx
    .select({
      id: workflowCredentials.id,
      userId: workflowCredentials.userId,
      teamId: workflowCredentials.teamId,
    })
    .from(workflowCredentials)
    .where(inArray(workflowCredentials.id, [...new Set(references.map((r) => r.id))]));
  const usable = new Set(
    rows
      .filter((row) =>
        owner.teamId ? row.teamId === owner.teamId : row.userId === owner.userId && !row.teamId,
      )
      .map((row) => row.id),
  );
  const problems = references.filter((reference) => !usable.has(reference.id));
  if (problems.length)
    throw new DomainError('unprocessable', 'The workflow names credentials it may not use.', {
      fields: {
        errors: problems.map((p) => ({
          path: p.path,
          message: `node "${document.nodes[p.node]!.name}": no credential of this workflow's owner has this id`,
        })),
      },
    });
}
