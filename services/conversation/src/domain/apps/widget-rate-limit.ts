import { DomainError } from '@conduit/errors';
import type { ConversationDeps } from '../../deps.js';

/**
 * Counts one public widget request against the app's budget and the caller's (a visitor, or the
 * client's address before it has a token), in fixed windows kept in Redis so every replica shares
 * them. Throws rate_limited with the seconds until the window turns. Redis being down lets the
 * request through: the widget must not fail because a counter cannot be kept.
 */
export async function countWidgetRequest(deps: ConversationDeps, appId: string, caller: string) {
  const windowMs = deps.env.APP_RATE_LIMIT_WINDOW;
  const slot = Math.floor(Date.now() / windowMs);
  const appKey = `widget-rate:app:${appId}:${slot}`;
  const callerKey = `widget-rate:caller:${appId}:${caller}:${slot}`;
  let counts: [number, number];
  try {
    const results = await deps.redis
      .multi()
      .incr(appKey)
      .pexpire(appKey, windowMs)
      .incr(callerKey)
      .pexpire(callerKey, windowMs)
      .exec();
    counts = [Number(results?.[0]?.[1] ?? 0), Number(results?.[2]?.[1] ?? 0)];
  } catch (error) {
    deps.log.warn({ err: error }, 'widget rate limit could not be counted; letting the request through');
    return;
  }
  const retryAfterSeconds = Math.max(1, Math.ceil(((slot + 1) * windowMs - Date.now()) / 1000));
  if (counts[0] > deps.env.APP_RATE_LIMIT)
    throw new DomainError('rate_limited', 'This app is answering too many requests; try again shortly.', {
      retryAfterSeconds,
    });
  if (counts[1] > deps.env.APP_VISITOR_RATE_LIMIT)
    throw new DomainError('rate_limited', 'Too many requests; try again shortly.', { retryAfterSeconds });
}
