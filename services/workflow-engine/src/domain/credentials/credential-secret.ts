import { readableText, storableText } from '@conduit/contracts';
import { z } from 'zod';

const headerName = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9-]{1,100}$/, 'a header name (letters, digits, -)');

/**
 * What a credential holds, by kind: `bearer` (Authorization: Bearer), `basic` (user and
 * password), `header` (any header and value), `secret` (a shared secret for a webhook's token or
 * HMAC key).
 */
export const credentialSecret = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('bearer'), token: storableText(4000).min(1) }).strict(),
  z
    .object({ kind: z.literal('basic'), username: storableText(500).min(1), password: storableText(1000) })
    .strict(),
  z.object({ kind: z.literal('header'), header: headerName, value: storableText(4000).min(1) }).strict(),
  z
    .object({ kind: z.literal('secret'), value: storableText(4000).min(16, 'at least 16 characters') })
    .strict(),
]);
export type CredentialSecret = z.output<typeof credentialSecret>;

export const credentialName = readableText(200);

/** The headers an outgoing request gets from a credential (they replace any of the same name). */
export function credentialHeaders(secret: CredentialSecret): Record<string, string> {
  switch (secret.kind) {
    case 'bearer':
      return { authorization: `Bearer ${secret.token}` };
    case 'basic':
      return {
        authorization: `Basic ${Buffer.from(`${secret.username}:${secret.password}`).toString('base64')}`,
      };
    case 'header':
      return { [secret.header.toLowerCase()]: secret.value };
    case 'secret':
      return {};
  }
}
