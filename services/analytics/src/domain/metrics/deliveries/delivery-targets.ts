import { randomBytes } from 'node:crypto';
import { storableText } from '@conduit/contracts';
import type { SecretBox } from '@conduit/secrets';
import { z } from 'zod';

/** Where deliveries go, as routes take it: at least one target. */
export const deliveryTargetsInput = z
  .object({
    webhookUrl: storableText(2000)
      .pipe(z.url({ protocol: /^https?$/ }))
      .optional(),
    /** Sent by the email service (analytics.metrics.mail_requested). */
    emailTo: z.array(z.email().max(320)).min(1).max(20).optional(),
    /** Published as analytics.metrics.delivered, for workflows' event triggers. */
    workflow: z.boolean().optional(),
  })
  .strict()
  .refine(
    (targets) => Boolean(targets.webhookUrl || targets.emailTo?.length || targets.workflow),
    'name at least one target',
  );

export type DeliveryTargetsInput = z.infer<typeof deliveryTargetsInput>;

/** A fresh webhook signing secret; shown once, then kept only sealed. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/** Sealed to its row (`table:id`), so a ciphertext copied to another row does not open. */
export const sealWebhookSecret = (box: SecretBox, table: 'reports' | 'alerts', id: string, secret: string) =>
  box.encrypt(secret, `analytics.${table}:${id}`);

export const openWebhookSecret = (box: SecretBox, table: 'reports' | 'alerts', id: string, sealed: string) =>
  box.decrypt(sealed, `analytics.${table}:${id}`);
