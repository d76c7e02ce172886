import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Encryption keys by version; the highest version encrypts, every version still decrypts. */
export type Keyring = ReadonlyMap<number, Buffer>;

/**
 * Parses `1:<base64 32 bytes>,2:<base64 32 bytes>` into a keyring. Rotating a key is adding a
 * higher version: old ciphertexts stay readable and are re-encrypted on their next write.
 */
export function parseKeyring(spec: string): Keyring {
  const keyring = new Map<number, Buffer>();
  for (const entry of spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^(\d+):(.+)$/.exec(entry);
    if (!match) throw new Error('each encryption key must look like <version>:<base64 of 32 bytes>');
    const key = Buffer.from(match[2]!, 'base64');
    if (key.length !== 32) throw new Error(`encryption key version ${match[1]} is not 32 bytes of base64`);
    keyring.set(Number(match[1]), key);
  }
  if (keyring.size === 0) throw new Error('no encryption key given');
  return keyring;
}

/**
 * AES-256-GCM for secrets at rest (signing keys, provider API keys, mail passwords). The output is
 * `v<version>.<iv>.<tag>.<ciphertext>` in base64url, so the key version travels with the value, and
 * `context` (e.g. the owning row id) is bound as additional data so a ciphertext cannot be moved
 * to another row.
 */
export class SecretBox {
  private readonly currentVersion: number;

  constructor(private readonly keyring: Keyring) {
    this.currentVersion = Math.max(...keyring.keys());
  }

  encrypt(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.get(this.currentVersion)!, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v' + this.currentVersion, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Throws when the value was tampered with, bound to another context, or made with an unknown key. */
  decrypt(sealed: string, context = ''): string {
    const [version, iv, tag, body] = sealed.split('.');
    const key = this.keyring.get(Number(version?.slice(1)));
    if (!key || !iv || !tag || body === undefined)
      throw new Error('secret is malformed or its key version is unknown');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** True when the value was sealed with an older key and should be re-encrypted. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[0] !== 'v' + this.currentVersion;
  }
}
