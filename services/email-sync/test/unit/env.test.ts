import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/env.js';

describe('email-sync settings', () => {
  it('re-issues IDLE every 25 minutes by default, and refuses a renewal of 29 minutes or more', () => {
    expect(loadEnv({}).IDLE_RENEW).toBe(25 * 60_000);
    expect(loadEnv({ IDLE_RENEW: '28m' }).IDLE_RENEW).toBe(28 * 60_000);
    expect(() => loadEnv({ IDLE_RENEW: '29m' })).toThrow(/IDLE_RENEW/);
    expect(() => loadEnv({ IDLE_RENEW: '1h' })).toThrow(/IDLE_RENEW/);
    expect(() => loadEnv({ IDLE_RENEW: '0s' })).toThrow(/IDLE_RENEW/);
  });

  it('waits 5 s for identity before a send is refused as unavailable', () => {
    expect(loadEnv({}).RPC_TIMEOUT).toBe(5_000);
  });
});
