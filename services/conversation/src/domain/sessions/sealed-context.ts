import type { SecretBox } from '@conduit/secrets';
import type { Logger } from '@conduit/service-kit';
import type { SessionContext } from '../../db/schema.js';
import { type DialogExtras, extrasOf } from './session-extras.js';

// A session's context is stored in its row for the session's life. Two parts of it may carry a
// script's secrets: SET HEADER's headers (API keys, bearer tokens) and the suspended dialog's state
// (its variables: the key a header was set from, a param-* setting, what a GET answered). Both are
// sealed at rest with the service's SecretBox, bound to the session's id, so a copy of the row (a
// backup, a dump, another session's row) reads as nothing; a turn opens them in memory. A session
// that has ended keeps neither (contextWhenEnded; the worker's session-secrets upkeep for sessions
// that expired, and seals what was stored before sealing).

/** Additional data binding a sealed part to its session: it cannot be moved to another row. */
const boundTo = (sessionId: string, part: 'headers' | 'dialog') =>
  `conversation.sessions:${sessionId}:${part}`;

interface SealedParts {
  /** SET HEADER's headers, sealed; absent when the dialog set none. */
  sealedHttpHeaders?: string;
}

/** The context of a session that has ended: no headers (sealed or not), no dialog. */
export function contextWhenEnded(context: SessionContext): SessionContext {
  const {
    httpHeaders: _headers,
    sealedHttpHeaders: _sealed,
    ...rest
  } = context as SessionContext & DialogExtras & SealedParts;
  return { ...rest, dialog: null };
}

/** The context as stored: headers and dialog state sealed, everything else as it is. */
export function contextAtRest(box: SecretBox, sessionId: string, context: SessionContext): SessionContext {
  const { httpHeaders, ...rest } = context as SessionContext & DialogExtras & SealedParts;
  const stored: SessionContext & SealedParts = { ...rest };
  delete stored.sealedHttpHeaders;
  if (httpHeaders && Object.keys(httpHeaders).length > 0)
    stored.sealedHttpHeaders = box.encrypt(JSON.stringify(httpHeaders), boundTo(sessionId, 'headers'));
  if (context.dialog && typeof context.dialog.state !== 'string')
    stored.dialog = {
      ...context.dialog,
      state: box.encrypt(JSON.stringify(context.dialog.state), boundTo(sessionId, 'dialog')),
    };
  return stored;
}

/**
 * The context a turn works with: headers and dialog state opened. A part that no longer opens (its
 * key version was removed from ENCRYPTION_KEYS) is dropped with a warning: the headers are gone
 * and the dialog starts over, rather than the session failing on every message. A state stored
 * before sealing (an object) is read as it is.
 */
export function contextInUse(
  box: SecretBox,
  sessionId: string,
  stored: SessionContext,
  log: Pick<Logger, 'warn'>,
): SessionContext {
  const { sealedHttpHeaders, ...context } = stored as SessionContext & SealedParts;
  if (sealedHttpHeaders) {
    try {
      extrasOf(context).httpHeaders = JSON.parse(
        box.decrypt(sealedHttpHeaders, boundTo(sessionId, 'headers')),
      );
    } catch (error) {
      log.warn({ sessionId, reason: (error as Error).message }, 'session headers do not open; dropped');
    }
  }
  if (context.dialog && typeof context.dialog.state === 'string') {
    try {
      context.dialog = {
        ...context.dialog,
        state: JSON.parse(box.decrypt(context.dialog.state, boundTo(sessionId, 'dialog'))),
      };
    } catch (error) {
      log.warn(
        { sessionId, reason: (error as Error).message },
        'session dialog state does not open; dropped',
      );
      context.dialog = null;
    }
  }
  return context;
}
