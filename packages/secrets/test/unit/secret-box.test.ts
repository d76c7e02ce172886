import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseKeyring, SecretBox } from '../../src/index.js';

const key = () => randomBytes(32).toString('base64');

describe('SecretBox', () => {
  it('round-trips and never returns the plaintext in the sealed form', () => {
    const box = new SecretBox(parseKeyring(`1:${key()}`));
    const sealed = box.encrypt('sk-live-secret', 'provider:1');
    expect(sealed).not.toContain('sk-live-secret');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(box.decrypt(sealed, 'provider:1')).toBe('sk-live-secret');
  });

  it('rejects a ciphertext moved to another context or tampered with', () => {
    const box = new SecretBox(parseKeyring(`1:${key()}`));
    const sealed = box.encrypt('secret', 'row-a');
    expect(() => box.decrypt(sealed, 'row-b')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.decrypt(parts.join('.'), 'row-a')).toThrow();
  });

  it('keeps old key versions readable after rotation', () => {
    const v1 = key();
    const old = new SecretBox(parseKeyring(`1:${v1}`)).encrypt('secret');
    const rotated = new SecretBox(parseKeyring(`1:${v1},2:${key()}`));
    expect(rotated.decrypt(old)).toBe('secret');
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.isStale(rotated.encrypt('secret'))).toBe(false);
  });

  it('refuses malformed keyrings', () => {
    expect(() => parseKeyring('')).toThrow(/no encryption key/);
    expect(() => parseKeyring('1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyring('abc')).toThrow(/version/);
  });
});
