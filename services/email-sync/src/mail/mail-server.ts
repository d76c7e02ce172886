import { isIP } from 'node:net';
import { BlockedAddressError } from '@conduit/outbound-http';
import type { SecurityMode } from '../db/schema.js';
import type { MailDeps } from '../deps.js';

/** One server of an account (IMAP or SMTP), as connections need it; the password opened already. */
export interface ServerSettings {
  host: string;
  port: number;
  security: SecurityMode;
  username: string;
  password: string;
}

/** The server cannot be used as given (a refused address, plain text not allowed): retrying cannot help. */
export class MailHostRefused extends Error {}

/**
 * The address to connect to for a host an account names: resolved and checked once (no loopback,
 * private or link-local address unless MAIL_ALLOWED_HOSTS allows it), then used as-is, so a
 * second resolution cannot be rebound. `servername` keeps TLS checking the certificate's name.
 */
export async function checkedServer(deps: Pick<MailDeps, 'mailHosts' | 'env'>, settings: ServerSettings) {
  if (settings.security === 'none' && !deps.env.MAIL_ALLOW_INSECURE)
    throw new MailHostRefused(
      'Security "none" sends the password in the clear; this server allows only TLS or STARTTLS.',
    );
  let resolved: { address: string; family: number }[];
  try {
    resolved = await deps.mailHosts.resolve(settings.host);
  } catch (error) {
    if (error instanceof BlockedAddressError) throw new MailHostRefused(error.message);
    throw error;
  }
  const first = resolved[0]!;
  return {
    address: first.address,
    servername: isIP(settings.host) ? undefined : settings.host.toLowerCase(),
  };
}

/** What went wrong talking to a mail server, for the account's state and the caller. */
export type MailFailure =
  | { kind: 'auth'; reason: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'connect'; reason: string };

/** Classifies an error of imapflow or nodemailer; the reason is the server's, never our internals. */
export function mailFailureOf(error: unknown): MailFailure {
  const e = error as {
    authenticationFailed?: boolean;
    responseCode?: number;
    code?: string;
    responseText?: string;
    response?: unknown;
    message?: string;
  };
  if (error instanceof MailHostRefused) return { kind: 'refused', reason: error.message };
  const serverText =
    e.responseText ?? (typeof e.response === 'string' ? e.response : undefined) ?? e.message ?? 'failed';
  const reason = serverText.replace(/\s+/g, ' ').slice(0, 500);
  // imapflow marks a refused LOGIN / AUTHENTICATE; nodemailer says EAUTH (535 and friends).
  if (e.authenticationFailed || e.code === 'EAUTH') return { kind: 'auth', reason };
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')
    return { kind: 'connect', reason: 'the host name does not resolve' };
  return { kind: 'connect', reason };
}
