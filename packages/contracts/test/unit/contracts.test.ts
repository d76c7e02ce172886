import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, defineRpc, identityEvents, pageQuery } from '../../src/index.js';

describe('contracts', () => {
  it('validates an event envelope against its definition', () => {
    const envelope = {
      id: '0190c2d4-8e43-7b1a-9a4f-1f2e3d4c5b6a',
      subject: 'identity.password.reset',
      version: 1,
      occurredAt: new Date().toISOString(),
      actor: null,
      data: { userId: '0190c2d4-8e43-7b1a-9a4f-1f2e3d4c5b6b' },
    };
    expect(identityEvents.passwordReset.envelope.parse(envelope)).toEqual(envelope);
    expect(
      identityEvents.passwordReset.envelope.safeParse({ ...envelope, subject: 'identity.user.registered' })
        .success,
    ).toBe(false);
    expect(identityEvents.passwordReset.envelope.safeParse({ ...envelope, data: {} }).success).toBe(false);
  });

  it('refuses subjects that do not follow the naming rule', () => {
    expect(() => defineEvent('UserRegistered', 1, z.object({}))).toThrow(/service>.<entity>.<verb>/);
    expect(() => defineRpc('identity.reserve', z.object({}), z.object({}))).toThrow(/rpc.<service>/);
  });

  it('bounds page sizes', () => {
    expect(pageQuery.parse({})).toEqual({ limit: 20 });
    expect(pageQuery.safeParse({ limit: '1000' }).success).toBe(false);
  });
});
