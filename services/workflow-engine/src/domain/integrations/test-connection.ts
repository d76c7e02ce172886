import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { createAddressCheck } from '@conduit/outbound-http';
import nodemailer from 'nodemailer';
import type { WorkflowDeps } from '../../deps.js';
import { connectionHeaders } from './connection-http.js';
import { openSecrets } from './connection-secrets.js';
import { loadConnection } from './manage-connections.js';
import type { OpenedConnection } from './open-connection.js';

export interface ConnectionTestResult {
  ok: boolean;
  /** What worked or what failed, for a person; never a secret. */
  message: string;
  status?: number | undefined;
}

/**
 * Tries a connection as its manager asks: a request with its authorization (HTTP kinds), a test
 * message (chat webhook), an SMTP handshake with its login (nodemailer's verify). Only those who
 * may change the connection may test it (the test opens its secrets). A failure of the far side
 * is an answer (`ok: false` and why), not an error. Throws not_found / forbidden, and
 * unprocessable when its secrets cannot be opened.
 */
export async function testConnection(
  deps: WorkflowDeps,
  actor: Actor,
  connectionId: string,
): Promise<ConnectionTestResult> {
  const found = await asActor(deps.db, actor, (tx) => loadConnection(tx, connectionId));
  const { connection, integration } = found;
  if (!can(actor, 'workflows.write', { ownerUserId: connection.userId, teamId: connection.teamId }))
    throw new DomainError('forbidden', 'You may use this connection but not test it.');
  let secrets: Record<string, unknown>;
  try {
    secrets = openSecrets(deps.box, connection.id, connection.sealed);
  } catch (error) {
    throw new DomainError('unprocessable', (error as Error).message);
  }
  const opened: OpenedConnection = {
    id: connection.id,
    kind: integration.kind,
    config: { ...(connection.config as Record<string, unknown>), ...secrets },
  };
  switch (opened.kind) {
    case 'smtp':
      return testSmtp(deps, opened);
    case 'chat-webhook':
      return testChatWebhook(deps, opened);
    default:
      return testHttp(deps, opened);
  }
}

async function testHttp(deps: WorkflowDeps, connection: OpenedConnection): Promise<ConnectionTestResult> {
  const base = String(connection.config.baseUrl).replace(/\/+$/, '');
  const path =
    typeof connection.config.testPath === 'string'
      ? connection.config.testPath
      : connection.kind === 'openai-compatible'
        ? '/models'
        : '';
  const url = `${base}${path}`;
  try {
    const response = await deps.http.request({ method: 'GET', url, headers: connectionHeaders(connection) });
    if (response.status === 401 || response.status === 403)
      return {
        ok: false,
        status: response.status,
        message: `${url} refused the credentials (HTTP ${response.status}).`,
      };
    if (response.status >= 400)
      return { ok: false, status: response.status, message: `${url} answered HTTP ${response.status}.` };
    return {
      ok: true,
      status: response.status,
      message: `${url} accepted the credentials (HTTP ${response.status}).`,
    };
  } catch (error) {
    return { ok: false, message: `${url} could not be reached: ${(error as Error).message}` };
  }
}

/** The webhook's URL is its secret: no message here quotes it. */
async function testChatWebhook(
  deps: WorkflowDeps,
  connection: OpenedConnection,
): Promise<ConnectionTestResult> {
  const text = 'Conduit: this connection works.';
  const body = connection.config.flavor === 'teams' ? { text, title: 'Conduit' } : { text };
  try {
    const response = await deps.http.request({ method: 'POST', url: String(connection.config.url), body });
    if (response.status >= 400)
      return { ok: false, status: response.status, message: `The webhook answered HTTP ${response.status}.` };
    return { ok: true, status: response.status, message: 'The webhook took a test message.' };
  } catch (error) {
    const reason =
      (error as Error).name === 'BlockedAddressError'
        ? 'its address is private or not allowed'
        : 'it could not be reached';
    return { ok: false, message: `The webhook was not called: ${reason}.` };
  }
}

/** An SMTP handshake (and login, when the connection has one) with the address checked first. */
async function testSmtp(deps: WorkflowDeps, connection: OpenedConnection): Promise<ConnectionTestResult> {
  const c = connection.config as {
    host: string;
    port: number;
    secure?: boolean;
    username?: string;
    password?: string;
  };
  let address: string;
  try {
    const resolved = await createAddressCheck(deps.env.HTTP_NODE_ALLOW).resolve(c.host);
    address = resolved[0]!.address;
  } catch (error) {
    return { ok: false, message: `${c.host} may not be reached: ${(error as Error).message}` };
  }
  // Connects to the address it checked (no second look-up), naming the host for TLS.
  const transport = nodemailer.createTransport({
    host: address,
    port: c.port,
    secure: c.secure ?? c.port === 465,
    ...(c.username ? { auth: { user: c.username, pass: c.password ?? '' } } : {}),
    tls: { servername: c.host },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 10_000,
  });
  try {
    await transport.verify();
    return {
      ok: true,
      message: `${c.host}:${c.port} accepted the connection${c.username ? ' and the login' : ''}.`,
    };
  } catch (error) {
    const failure = error as { code?: string; responseCode?: number; message: string };
    const what = failure.code === 'EAUTH' ? 'refused the login' : 'failed';
    return { ok: false, message: `${c.host}:${c.port} ${what}: ${failure.message}` };
  } finally {
    transport.close();
  }
}
