import { z } from 'zod';

/**
 * Text people read (names, descriptions). Postgres text cannot hold U+0000 and jsonb (the audit
 * trail) refuses unpaired surrogates, so both are refused here, not at insert.
 */
export const readableText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !value.includes('\0'), 'must not contain U+0000')
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode');

/** A name of a person, organization, team or role. */
export const displayNameSchema = readableText(200);
