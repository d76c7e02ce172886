import { parseKeyring, SecretBox } from '@conduit/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../../src/domain/tokens/signing-keys.js';
import { type IdentityHarness, startIdentityHarness } from '../fixtures/identity-harness.js';

const DAY = 86_400_000;
let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentityHarness();
});
afterAll(() => h?.close());

const age = (kid: string, days: number) =>
  h.admin`update identity.signing_keys set created_at = now() - make_interval(hours => ${Math.round(days * 24)}) where kid = ${kid}`;

describe('signing keys', () => {
  it('rotate when the current key is old, keep trusting the previous one, and retire older ones', async () => {
    const box = new SecretBox(parseKeyring(h.env.ENCRYPTION_KEYS));
    const first = await loadSigningKeys(h.deps.db, box, DAY);
    expect(first.jwks.keys.map((key) => key.kid)).toContain(first.kid);

    // Same key while it is young; a new one once it is older than the rotation age.
    expect((await loadSigningKeys(h.deps.db, box, DAY)).kid).toBe(first.kid);
    await age(first.kid, 1.5);
    const second = await loadSigningKeys(h.deps.db, box, DAY);
    expect(second.kid).not.toBe(first.kid);
    expect(second.jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([first.kid, second.kid]));

    // Two rotations later the first key is no longer published.
    await age(first.kid, 3);
    await age(second.kid, 1.5);
    const third = await loadSigningKeys(h.deps.db, box, DAY);
    expect(third.jwks.keys.map((key) => key.kid).sort()).toEqual([second.kid, third.kid].sort());
    const [retired] = await h.admin`select retired_at from identity.signing_keys where kid = ${first.kid}`;
    expect(retired!.retired_at).not.toBeNull();
  });
});
