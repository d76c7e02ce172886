import { X509Certificate } from 'node:crypto';
import { readableText, storableText } from '@conduit/contracts';
import { z } from 'zod';

/** How an external PostgreSQL source is reached; the password travels apart and is sealed. */
export const tlsModes = ['disable', 'require', 'verify-full'] as const;
export type TlsMode = (typeof tlsModes)[number];

const hostName = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*\.?)$/,
    'must be a host name or an IP address',
  );

/**
 * The certificate (PEM) of the CA that signed the server's, for `verify-full` against a private
 * CA or a self-signed server; without it the system's public CAs are trusted. Public, not secret.
 */
const caCertificate = z
  .string()
  .max(20_000)
  .regex(
    /^\s*-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/,
    'must be one PEM certificate',
  )
  .refine((pem) => {
    try {
      new X509Certificate(pem);
      return true;
    } catch {
      return false;
    }
  }, 'is not a certificate that can be read');

export const connectionSettings = z.object({
  host: hostName,
  port: z.number().int().min(1).max(65535).default(5432),
  database: readableText(63),
  user: readableText(63),
  tlsMode: z.enum(tlsModes).default('require'),
  caCertificate: caCertificate.nullable().optional(),
});
export type ConnectionSettings = z.output<typeof connectionSettings>;

export const sourcePassword = storableText(1000);
