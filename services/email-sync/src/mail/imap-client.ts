import { ImapFlow } from 'imapflow';
import type { MailDeps } from '../deps.js';
import { checkedServer, type ServerSettings } from './mail-server.js';

/**
 * A logged-in IMAP connection to an account's server (checked address, the configured security),
 * with IDLE left to whoever asks for it. The caller logs out; an error on the socket after login
 * is logged, never thrown into the process.
 */
export async function openImap(
  deps: Pick<MailDeps, 'mailHosts' | 'env' | 'log'>,
  settings: ServerSettings,
  options: { label?: string } = {},
): Promise<ImapFlow> {
  const server = await checkedServer(deps, settings);
  const timeout = deps.env.MAIL_TIMEOUT;
  const client = new ImapFlow({
    host: server.address,
    port: settings.port,
    secure: settings.security === 'tls',
    // STARTTLS is required when asked for, and never attempted over plain text.
    doSTARTTLS: settings.security === 'starttls' ? true : settings.security === 'none' ? false : undefined,
    ...(server.servername ? { servername: server.servername } : {}),
    auth: { user: settings.username, pass: settings.password },
    logger: false,
    disableAutoIdle: true,
    qresync: true,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: 5 * 60_000,
    clientInfo: { name: 'Conduit' },
  });
  client.on('error', (error: Error) =>
    deps.log.debug({ err: { message: error.message }, label: options.label }, 'imap connection error'),
  );
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

/** Logs out, or drops the socket when the server does not answer. */
export async function closeImap(client: ImapFlow): Promise<void> {
  if (!client.usable) {
    client.close();
    return;
  }
  await Promise.race([
    client.logout().catch(() => client.close()),
    new Promise((resolve) => setTimeout(resolve, 5000).unref()),
  ]);
  client.close();
}
