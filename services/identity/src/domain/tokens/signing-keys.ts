import type { Database } from '@conduit/db';
import type { SecretBox } from '@conduit/secrets';
import { and, desc, isNull, lt, sql } from 'drizzle-orm';
import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type JSONWebKeySet, type JWK } from 'jose';
import { uuidv7 } from 'uuidv7';
import { signingKeys } from '../../db/schema.js';

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** Every key still trusted: the current one and older ones not yet retired. */
  jwks: JSONWebKeySet;
}

type CryptoKey = Awaited<ReturnType<typeof importPKCS8>>;

/**
 * Loads the access-token signing key, creating the first one (or a fresh one once the current key
 * is older than `rotateAfterMs`) under an advisory lock so that replicas agree on one key. Older
 * keys stay in the JWKS so tokens they signed keep verifying until they expire.
 */
export async function loadSigningKeys(
  db: Database,
  box: SecretBox,
  rotateAfterMs: number,
): Promise<SigningKeys> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('identity.signing_keys'))`);
    // A key two rotations old signed its last token long ago (tokens live minutes): stop trusting it.
    await tx
      .update(signingKeys)
      .set({ retiredAt: new Date() })
      .where(
        and(
          isNull(signingKeys.retiredAt),
          lt(signingKeys.createdAt, new Date(Date.now() - 2 * rotateAfterMs)),
        ),
      );
    let rows = await tx
      .select()
      .from(signingKeys)
      .where(isNull(signingKeys.retiredAt))
      .orderBy(desc(signingKeys.createdAt));
    if (!rows[0] || Date.now() - rows[0].createdAt.getTime() > rotateAfterMs) {
      const kid = uuidv7();
      const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA', use: 'sig' };
      await tx
        .insert(signingKeys)
        .values({ kid, publicJwk, privateKeySealed: box.encrypt(await exportPKCS8(pair.privateKey), kid) });
      rows = await tx
        .select()
        .from(signingKeys)
        .where(isNull(signingKeys.retiredAt))
        .orderBy(desc(signingKeys.createdAt));
    }
    const current = rows[0]!;
    let pem: string;
    try {
      pem = box.decrypt(current.privateKeySealed, current.kid);
    } catch {
      throw new Error(
        `signing key ${current.kid} cannot be decrypted with ENCRYPTION_KEYS: was a key version removed or changed?`,
      );
    }
    return {
      kid: current.kid,
      privateKey: await importPKCS8(pem, 'EdDSA'),
      jwks: { keys: rows.map((row) => row.publicJwk as JWK) },
    };
  });
}

/**
 * The public keys every replica trusts, read from the database (another replica may have rotated)
 * and cached briefly; an unknown key id forces a re-read, at most once a second.
 */
export function trustedKeys(db: Database, initial: JSONWebKeySet) {
  let cached = initial;
  let readAt = Date.now();
  const reload = async () => {
    const rows = await db
      .select({ jwk: signingKeys.publicJwk })
      .from(signingKeys)
      .where(isNull(signingKeys.retiredAt));
    cached = { keys: rows.map((row) => row.jwk as JWK) };
    readAt = Date.now();
    return cached;
  };
  return {
    async jwks(): Promise<JSONWebKeySet> {
      return Date.now() - readAt > 30_000 ? reload() : cached;
    },
    async keyFor(kid: string | undefined): Promise<JWK | undefined> {
      const find = (set: JSONWebKeySet) => set.keys.find((key) => key.kid === kid);
      return find(await this.jwks()) ?? (Date.now() - readAt > 1000 ? find(await reload()) : undefined);
    },
  };
}
