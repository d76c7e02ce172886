import { randomBytes } from 'node:crypto';

/** A new public key for an app: named in host pages, so public, but unguessable (192 bits). */
export const newPublicKey = () => `pk_${randomBytes(24).toString('base64url')}`;

/** What a domain serves at /.well-known/conduit-domain-verification to prove it is the app's. */
export const newVerificationToken = () =>
  `conduit-domain-verification=${randomBytes(24).toString('base64url')}`;
