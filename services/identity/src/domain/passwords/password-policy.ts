import { createRequire } from 'node:module';
import { DomainError } from '@conduit/errors';
import { z } from 'zod';

const commonPasswords: { test(password: string): boolean } = createRequire(import.meta.url)(
  'fxa-common-password-list',
);

/** 8..128 characters; counted as characters a person types, not UTF-16 units. */
export const newPasswordSchema = z
  .string()
  .max(512)
  .refine((value) => [...value].length >= 8, 'must be at least 8 characters')
  .refine((value) => [...value].length <= 128, 'must be at most 128 characters');

/** Refuses a password found in the list of the most common ones, or one that is just the email. */
export function assertStrongPassword(password: string, email?: string) {
  const lowered = password.toLowerCase();
  if (
    commonPasswords.test(password) ||
    commonPasswords.test(lowered) ||
    (email && lowered === email.toLowerCase())
  ) {
    throw new DomainError(
      'unprocessable',
      'This password is too common; choose one that is harder to guess.',
      {
        fields: { errors: [{ path: 'body.password', message: 'is too common' }] },
      },
    );
  }
}
