import { createOutboundHttp, type OutboundHttp } from '@conduit/outbound-http';
import type { AnalyticsEnv } from '../../../env.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

const WEBHOOK_TIMEOUT_MS = 15_000;
const ANSWER_LIMIT_BYTES = 64 * 1024;

// One client per process's settings: every request still resolves and checks its host afresh.
const clients = new WeakMap<AnalyticsEnv, OutboundHttp>();
function clientFor(env: AnalyticsEnv): OutboundHttp {
  let client = clients.get(env);
  if (!client) {
    client = createOutboundHttp({
      allow: env.METRICS_ALLOWED_HOSTS,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      maxBytes: ANSWER_LIMIT_BYTES,
    });
    clients.set(env, client);
  }
  return client;
}

/** A webhook that did not take the delivery (an error answer, a refused or unreachable host). */
export class WebhookRefused extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'WebhookRefused';
  }
}

/**
 * POSTs a delivery as JSON, signed over its exact body (SIGNATURE_HEADER) with the report's or
 * alert's own secret, and with the delivery's id as Idempotency-Key so a retry after a lost answer
 * can be recognised. The host is checked as every user-chosen host is (@conduit/outbound-http).
 * Answers the status of a 2xx; throws WebhookRefused otherwise.
 */
export async function sendWebhook(
  env: AnalyticsEnv,
  input: { url: string; secret: string; deliveryId: string; payload: Record<string, unknown> },
): Promise<{ status: number }> {
  // outbound-http sends JSON.stringify(payload): the same text as signed here.
  const body = JSON.stringify(input.payload);
  let status: number;
  try {
    const answer = await clientFor(env).request({
      method: 'POST',
      url: input.url,
      body: input.payload,
      headers: {
        [SIGNATURE_HEADER]: signWebhook(input.secret, body),
        'idempotency-key': input.deliveryId,
      },
      secretHeaders: [SIGNATURE_HEADER],
    });
    status = answer.status;
  } catch (error) {
    throw new WebhookRefused(`the webhook could not be reached: ${(error as Error).message}`, null);
  }
  if (status < 200 || status >= 300) throw new WebhookRefused(`the webhook answered ${status}`, status);
  return { status };
}
