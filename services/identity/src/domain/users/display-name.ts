import { z } from 'zod';

/** A person's name as others see it. Postgres text cannot hold U+0000, so it is refused here, not at insert. */
export const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((value) => !value.includes('\0'), 'must not contain U+0000');
