import type { DeliveryOutcome, DeliveryTargets } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { openWebhookSecret } from './delivery-targets.js';
import { sendWebhook } from './webhook-delivery.js';

export type { DeliveryOutcome };

/**
 * Sends a delivery to every target that has not taken it yet (`done` from an earlier attempt),
 * recording each outcome through `record` as soon as it is known. Answers the outcomes and the
 * first failure's message (undefined when every target took it). The signing secret is opened
 * here only, for the request, and goes nowhere else.
 */
export async function deliver(
  deps: AnalyticsDeps,
  input: {
    table: 'reports' | 'alerts';
    ownerId: string;
    targets: DeliveryTargets;
    sealedWebhookSecret: string | null;
    deliveryId: string;
    payload: Record<string, unknown>;
    done: DeliveryOutcome;
    record: (outcome: DeliveryOutcome) => Promise<unknown>;
  },
): Promise<{ outcome: DeliveryOutcome; failure?: string }> {
  const outcome: DeliveryOutcome = { ...input.done };
  let failure: string | undefined;
  if (input.targets.webhookUrl && !outcome.webhook?.ok) {
    const attempts = (outcome.webhook?.attempts ?? 0) + 1;
    try {
      if (!input.sealedWebhookSecret) throw new Error('the webhook has no signing secret');
      const secret = openWebhookSecret(
        deps.metrics.box,
        input.table,
        input.ownerId,
        input.sealedWebhookSecret,
      );
      const { status } = await sendWebhook(deps.env, {
        url: input.targets.webhookUrl,
        secret,
        deliveryId: input.deliveryId,
        payload: input.payload,
      });
      outcome.webhook = { ok: true, status, at: new Date().toISOString(), attempts };
    } catch (error) {
      const status = (error as { status?: number | null }).status ?? null;
      failure = (error as Error).message;
      outcome.webhook = { ok: false, status, error: failure, at: new Date().toISOString(), attempts };
    }
    await input.record(outcome);
  }
  return failure === undefined ? { outcome } : { outcome, failure };
}
