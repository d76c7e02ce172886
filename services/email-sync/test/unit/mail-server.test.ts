import { createAddressCheck } from '@conduit/outbound-http';
import { describe, expect, it } from 'vitest';
import { checkedServer, MailHostRefused, mailFailureOf } from '../../src/mail/mail-server.js';
import { backoffAfter } from '../../src/sync/sync-account.js';

const server = { host: '127.0.0.1', port: 143, username: 'u', password: 'p' };
const deps = (allow: string[], insecure: boolean) => ({
  mailHosts: createAddressCheck(allow),
  env: { MAIL_ALLOW_INSECURE: insecure } as never,
});

describe('mail hosts', () => {
  it('refuses loopback and private hosts unless allowed, and plain text unless development allows it', async () => {
    await expect(checkedServer(deps([], true), { ...server, security: 'none' })).rejects.toBeInstanceOf(
      MailHostRefused,
    );
    await expect(
      checkedServer(deps([], true), { ...server, host: '10.1.2.3', security: 'tls' }),
    ).rejects.toThrow(/private/);
    await expect(checkedServer(deps(['127.0.0.1'], false), { ...server, security: 'none' })).rejects.toThrow(
      /in the clear/,
    );
    await expect(checkedServer(deps(['127.0.0.1'], true), { ...server, security: 'none' })).resolves.toEqual({
      address: '127.0.0.1',
      servername: undefined,
    });
    await expect(
      checkedServer(deps(['localhost'], false), { ...server, host: 'localhost', security: 'tls' }),
    ).resolves.toMatchObject({
      servername: 'localhost',
    });
  });

  it('classifies failures: refused credentials, unusable hosts, the rest as connection errors', () => {
    expect(
      mailFailureOf(Object.assign(new Error('x'), { authenticationFailed: true, response: 'bad pass' })),
    ).toEqual({
      kind: 'auth',
      reason: 'bad pass',
    });
    expect(mailFailureOf(Object.assign(new Error('535 no'), { code: 'EAUTH' })).kind).toBe('auth');
    expect(mailFailureOf(new MailHostRefused('nope')).kind).toBe('refused');
    expect(mailFailureOf(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toEqual({
      kind: 'connect',
      reason: 'the host name does not resolve',
    });
  });

  it('waits longer after each connection error, at most 30 minutes', () => {
    expect([1, 2, 3, 4].map((n) => backoffAfter(5000, n))).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(backoffAfter(5000, 50)).toBe(30 * 60_000);
  });
});
