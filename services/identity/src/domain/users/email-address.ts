import { storableText } from '@conduit/contracts';
import { z } from 'zod';

/** An email address as people type it (trimmed; at most 254 characters, as SMTP allows). */
export const emailAddress = storableText(254).trim().pipe(z.email());
