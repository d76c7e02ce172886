import nodemailer from 'nodemailer';
import type { MailDeps } from '../deps.js';
import { checkedServer, type ServerSettings } from './mail-server.js';

/**
 * A nodemailer transport to an account's SMTP server, connecting to the checked address. TLS
 * from the first byte for `tls`, a required STARTTLS for `starttls`, none at all for `none`.
 */
export async function createSmtpTransport(
  deps: Pick<MailDeps, 'mailHosts' | 'env'>,
  settings: ServerSettings,
) {
  const server = await checkedServer(deps, settings);
  return nodemailer.createTransport({
    host: server.address,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    ...(server.servername ? { tls: { servername: server.servername } } : {}),
    auth: { user: settings.username, pass: settings.password },
    connectionTimeout: deps.env.MAIL_TIMEOUT,
    greetingTimeout: deps.env.MAIL_TIMEOUT,
    socketTimeout: deps.env.MAIL_TIMEOUT * 3,
    logger: false,
  });
}
