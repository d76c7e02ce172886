import type { Bus } from '@conduit/bus';
import { identityEvents } from '@conduit/contracts';
import type { Logger } from '@conduit/service-kit';
import type { LiveSessionCache } from '../domain/sessions/live-session.js';

/**
 * Every replica forgets a session another one revoked as soon as its `identity.session.revoked`
 * event is published: a plain subscription (no queue group, no durable consumer), because a cache
 * entry missed while the bus was down lapses by itself within LIVE_SESSION_CACHE_MS anyway.
 */
export function forgetRevokedSessions(bus: Bus, cache: LiveSessionCache, log: Logger): { stop(): void } {
  const subscription = bus.nc.subscribe(bus.subject(identityEvents.sessionRevoked.subject), {
    callback: (error, message) => {
      if (error) return log.warn({ err: error }, 'session revocations: subscription failed');
      const event = identityEvents.sessionRevoked.envelope.safeParse(message.json());
      if (event.success) cache.forget([event.data.data.sessionId]);
    },
  });
  return { stop: () => subscription.unsubscribe() };
}
