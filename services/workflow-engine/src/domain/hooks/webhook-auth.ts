import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ActorContext } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { WorkflowDeps } from '../../deps.js';
import { openCredential } from '../credentials/open-credential.js';

/** How a webhook proves its caller: a shared token in a header, or an HMAC-SHA256 of the body. */
export type WebhookAuth =
  | { type: 'header-token'; header: string; credential: string }
  | { type: 'hmac-sha256'; header: string; credential: string };

const sameText = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/**
 * Checks a webhook call against its trigger's `auth`, with the secret of the credential it names
 * (opened as the workflow's owner). `hmac-sha256` takes the hex digest of the raw body, bare or
 * as `sha256=<hex>`. Throws unauthorized, saying no more than that, when the call does not prove
 * itself, or when the credential is gone or is not a `secret`.
 */
export async function verifyWebhookAuth(
  deps: WorkflowDeps,
  owner: ActorContext,
  auth: WebhookAuth,
  call: { headers: Record<string, unknown>; rawBody?: Buffer | undefined },
): Promise<void> {
  const refuse = () => new DomainError('unauthorized', 'This webhook needs a valid token or signature.');
  const given = call.headers[auth.header.toLowerCase()];
  if (typeof given !== 'string' || !given) throw refuse();
  const secret = await openCredential(deps, owner, auth.credential);
  if (secret?.kind !== 'secret') {
    deps.log.warn({ credential: auth.credential }, 'webhook credential is gone or not a secret');
    throw refuse();
  }
  const expected =
    auth.type === 'header-token'
      ? secret.value
      : createHmac('sha256', secret.value)
          .update(call.rawBody ?? Buffer.alloc(0))
          .digest('hex');
  const offered = auth.type === 'hmac-sha256' ? given.replace(/^sha256=/i, '').toLowerCase() : given;
  if (!sameText(offered, expected)) throw refuse();
}
