import { DomainError } from '@conduit/errors';
import type { AddressCheck } from '@conduit/outbound-http';

/**
 * Refuses, when it is saved, a webhook URL whose host is private, loopback or link-local (unless
 * configuration allows it) or does not resolve; each delivery checks it again as it connects.
 * Throws unprocessable.
 */
export async function checkWebhookUrl(addresses: AddressCheck, url: string) {
  try {
    await addresses.resolve(new URL(url).hostname);
  } catch (error) {
    throw new DomainError('unprocessable', `The webhook URL cannot be used: ${(error as Error).message}`, {
      fields: { 'delivery.webhookUrl': 'host refused or unknown' },
    });
  }
}
