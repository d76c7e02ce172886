import { randomBytes } from 'node:crypto';

/** 3..40 of letters, digits, `.`, `_` and `-`, starting with a letter or digit. */
export const USERNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{2,39}$/;

/** A username derived from the email when none is given; a suffix makes a retry unlikely to collide. */
export function usernameFromEmail(email: string, withSuffix: boolean): string {
  const local = email
    .split('@')[0]!
    .replace(/[^a-zA-Z0-9._-]/g, '')
    .replace(/^[._-]+/, '')
    .slice(0, 30);
  const base = local.length >= 3 ? local : `user${local}`;
  return withSuffix ? `${base}-${randomBytes(3).toString('hex')}` : base;
}
