import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { ConversationEnv } from '../../env.js';

// Visitor tokens are conversation's own (HS256 with APP_VISITOR_TOKEN_SECRET): another issuer and
// audience than identity's access tokens, which are EdDSA, so neither is ever taken for the other.
const ISSUER = 'conduit-conversation';
const AUDIENCE = 'conduit-app-visitor';

const claims = z.object({ sub: z.uuid(), app: z.uuid() });

const keyOf = (env: ConversationEnv) => new TextEncoder().encode(env.APP_VISITOR_TOKEN_SECRET);

/** A short-lived token naming the visitor and the app they were admitted to. */
export async function signVisitorToken(env: ConversationEnv, visitorId: string, appId: string) {
  const expiresAt = new Date(Date.now() + env.APP_VISITOR_TOKEN_TTL);
  const token = await new SignJWT({ app: appId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(visitorId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keyOf(env));
  return { token, expiresAt };
}

/** The visitor and app of a valid token; null for a missing, forged, expired or foreign one. */
export async function verifyVisitorToken(
  env: ConversationEnv,
  token: string,
): Promise<{ visitorId: string; appId: string } | null> {
  if (token.length > 2048) return null;
  try {
    const { payload } = await jwtVerify(token, keyOf(env), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      clockTolerance: 5,
    });
    const parsed = claims.safeParse(payload);
    return parsed.success ? { visitorId: parsed.data.sub, appId: parsed.data.app } : null;
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
    throw error;
  }
}
