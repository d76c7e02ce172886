import { randomUUID } from 'node:crypto';
import type { Actor } from '@conduit/contracts';
import type { DomainError } from '@conduit/errors';
import { describe, expect, it } from 'vitest';
import { managedTeamIds, resolveScope } from '../../src/domain/access/viewer-scope.js';
import { clientEventId } from '../../src/domain/client-events/client-event-id.js';
import { levelOf } from '../../src/domain/queries/rollup-filters.js';
import { checkRange, floorToBucket, isTimeZone } from '../../src/domain/queries/time-range.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).code;
  }
  return 'ok';
};

describe('ranges', () => {
  it('refuses an inverted or empty range, a year of quarter hours, and more than three years', () => {
    expect(codeOf(() => checkRange('2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z'))).toBe('bad_request');
    expect(codeOf(() => checkRange('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'))).toBe('bad_request');
    expect(codeOf(() => checkRange('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '15m'))).toBe(
      'bad_request',
    );
    expect(codeOf(() => checkRange('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'day'))).toBe('ok');
    expect(codeOf(() => checkRange('2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z', '15m'))).toBe('ok');
    expect(codeOf(() => checkRange('2020-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'month'))).toBe(
      'bad_request',
    );
  });

  it('knows time zones by name, never by offset', () => {
    for (const zone of ['Asia/Kolkata', 'Asia/Tehran', 'America/New_York', 'UTC', 'Etc/GMT+5'])
      expect(isTimeZone(zone)).toBe(true);
    for (const zone of ['Mars/Olympus', '+05:30', '', "UTC'; drop table x; --", 'a'.repeat(65)])
      expect(isTimeZone(zone)).toBe(false);
  });

  it('starts counters at the 15-minute bucket holding an instant', () => {
    expect(floorToBucket(new Date('2026-01-01T10:29:59.999Z')).toISOString()).toBe(
      '2026-01-01T10:15:00.000Z',
    );
  });
});

describe('client event ids', () => {
  it('are name-based UUIDs of the user and the key: stable, and apart for two users', () => {
    const user = randomUUID();
    const id = clientEventId(user, 'k-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientEventId(user.toUpperCase(), 'k-1')).toBe(id);
    expect(clientEventId(user, 'k-2')).not.toBe(id);
    expect(clientEventId(randomUUID(), 'k-1')).not.toBe(id);
  });
});

describe('who sees what', () => {
  const team = randomUUID();
  const actor = (over: Partial<Actor> = {}): Actor => ({
    userId: randomUUID(),
    sessionId: randomUUID(),
    orgId: randomUUID(),
    teams: {},
    permissions: [],
    platformAdmin: false,
    ...over,
  });

  it('gives everyone their own activity, and nobody else’s through "me"', () => {
    const me = actor();
    expect(resolveScope(me, { scope: 'me' })).toEqual({ userId: me.userId });
    expect(codeOf(() => resolveScope(me, { scope: 'me', userId: randomUUID() }))).toBe('bad_request');
  });

  it("gives a team's owners and admins the team's, tells members no, and strangers nothing", () => {
    expect(resolveScope(actor({ teams: { [team]: 'admin' } }), { scope: 'team', teamId: team })).toEqual({
      teamId: team,
    });
    expect(
      codeOf(() => resolveScope(actor({ teams: { [team]: 'member' } }), { scope: 'team', teamId: team })),
    ).toBe('forbidden');
    expect(codeOf(() => resolveScope(actor(), { scope: 'team', teamId: team }))).toBe('not_found');
    expect(codeOf(() => resolveScope(actor(), { scope: 'team' }))).toBe('bad_request');
    expect(managedTeamIds(actor({ teams: { [team]: 'owner', [randomUUID()]: 'viewer' } }))).toEqual([team]);
  });

  it("gives the organization's to analytics.read, and everything to the platform admin only", () => {
    const reader = actor({ permissions: ['analytics.read'] });
    expect(resolveScope(reader, { scope: 'organization' })).toEqual({ organizationId: reader.orgId });
    expect(codeOf(() => resolveScope(actor(), { scope: 'organization' }))).toBe('forbidden');
    expect(
      codeOf(() =>
        resolveScope(actor({ permissions: ['analytics.read'], orgId: null }), { scope: 'organization' }),
      ),
    ).toBe('forbidden');
    expect(codeOf(() => resolveScope(reader, { scope: 'platform' }))).toBe('not_found');
    expect(resolveScope(actor({ platformAdmin: true }), { scope: 'platform' })).toEqual({});
  });
});

describe('which counters answer', () => {
  it('reads the coarsest level that holds the answer', () => {
    const id = randomUUID();
    expect(levelOf({ userId: id }, 'bot')).toBe('user');
    expect(levelOf({ teamId: id })).toBe('team');
    expect(levelOf({ teamId: id }, 'user')).toBe('user');
    expect(levelOf({ organizationId: id }, 'bot')).toBe('organization');
    expect(levelOf({ organizationId: id }, 'team')).toBe('team');
    expect(levelOf({}, 'user')).toBe('user');
    expect(levelOf({})).toBe('organization');
  });
});
