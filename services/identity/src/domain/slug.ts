import { z } from 'zod';

/** A URL-friendly form of a name, e.g. "Acme Robotics!" -> "acme-robotics"; `fallback` when nothing is left. */
export const slugify = (name: string, fallback: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || fallback;

/** A slug someone chose for an organization or a team. */
export const slugInput = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and -, 2 to 63 characters');
