import type { Actor } from '@conduit/contracts';
import { describe, expect, it } from 'vitest';
import { can, rlsContext } from '../../src/index.js';

const team = '0190c2d4-8e43-7b1a-9a4f-000000000001';
const org = '0190c2d4-8e43-7b1a-9a4f-000000000002';
const actor = (overrides: Partial<Actor> = {}): Actor => ({
  userId: 'u1',
  sessionId: 's1',
  orgId: org,
  teams: {},
  permissions: ['bots.read', 'bots.write'],
  platformAdmin: false,
  ...overrides,
});

describe('can', () => {
  it('needs the permission first, then ownership, a team role or the organization', () => {
    expect(can(actor(), 'bots.write')).toBe(true);
    expect(can(actor(), 'kb.write')).toBe(false);
    expect(can(actor(), 'bots.write', { ownerUserId: 'u1' })).toBe(true);
    expect(can(actor(), 'bots.write', { ownerUserId: 'u2' })).toBe(false);
    expect(can(actor({ permissions: [] }), 'bots.read', { ownerUserId: 'u1' })).toBe(false);
    expect(can(actor(), 'bots.read', { orgId: org })).toBe(true);
    expect(can(actor(), 'bots.read', { orgId: 'elsewhere' })).toBe(false);
  });

  it('follows team roles: viewers read, members write, only owners and admins manage', () => {
    const withRole = (role: 'owner' | 'admin' | 'member' | 'viewer') =>
      actor({ teams: { [team]: role }, permissions: ['bots.read', 'bots.write', 'teams.manage'] });
    const resource = { teamId: team, ownerUserId: 'u2', orgId: 'other-org' };
    expect(can(withRole('viewer'), 'bots.read', resource)).toBe(true);
    expect(can(withRole('viewer'), 'bots.write', resource)).toBe(false);
    expect(can(withRole('member'), 'bots.write', resource)).toBe(true);
    expect(can(withRole('member'), 'teams.manage', resource)).toBe(false);
    expect(can(withRole('admin'), 'teams.manage', resource)).toBe(true);
    expect(can(actor(), 'bots.read', resource)).toBe(false);
  });

  it('lets the platform admin do anything', () => {
    expect(
      can(actor({ platformAdmin: true, permissions: [] }), 'kb.write', {
        ownerUserId: 'someone',
        teamId: team,
      }),
    ).toBe(true);
  });

  it('gives row-level security the user, organization, teams (those it may change apart), permissions and admin flag', () => {
    const other = '0190c2d4-8e43-7b1a-9a4f-00000000bbbb';
    const acting = actor({ teams: { [team]: 'viewer', [other]: 'member' }, platformAdmin: true });
    expect(rlsContext(acting)).toEqual({
      userId: 'u1',
      orgId: org,
      teamIds: [team, other],
      writableTeamIds: [other],
      permissions: acting.permissions,
      platformAdmin: true,
    });
  });
});
