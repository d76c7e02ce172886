import { BlockedAddressError, InvalidUrlError, ResponseTooLargeError } from '@conduit/outbound-http';
import { z } from 'zod';
import { credentialHeaders } from '../domain/credentials/credential-secret.js';
import { connectionHeaders, withinBaseUrl } from '../domain/integrations/connection-http.js';
import { defineNodeType, type Item, mapItems, NodeError } from './node-type.js';

/** Headers a workflow may not set: the connection's own, and the idempotency key we set. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'idempotency-key',
]);

/**
 * Calls a URL once per item through @conduit/outbound-http (public addresses only, unless
 * allowed). Every call carries `Idempotency-Key: <execution>:<node>:<item>`, the same on every
 * retry and after a crash, so a server that deduplicates by it applies each effect once. Answers
 * 5xx, 429 and network failures are retried (per the node's retry settings); other 4xx are not.
 */
export const httpRequestNode = defineNodeType({
  type: 'http-request',
  description: 'Calls a URL for each item; the answer becomes the item ({status, body}).',
  config: z
    .object({
      method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
      url: z.string().min(1).max(4000),
      headers: z
        .record(
          z
            .string()
            .regex(/^[A-Za-z0-9-]{1,100}$/, 'is not a header name')
            .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'is set by the engine'),
          z.string().max(4000),
        )
        .default({}),
      /** JSON body (with {{ expressions }}); not sent with GET or HEAD. */
      body: z.unknown().optional(),
      /** A credential (by id) whose authorization the request carries; its secret never shows. */
      credential: z.uuid().optional(),
      /**
       * A connection (user_integrations, by id) whose authorization the request carries, opened in
       * the worker as the workflow's owner; the URL must lie under the connection's base URL.
       */
      connectionId: z.uuid().optional(),
      /** Treat answers of 400 and above as a result instead of a failure. */
      neverError: z.boolean().default(false),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, resolve, idempotencyKey, services }) => ({
    outputs: {
      main: await mapItems(items, async (_item, index): Promise<Item> => {
        const url = await resolve(config.url, index);
        if (typeof url !== 'string') throw new NodeError('The URL is not text.', false);
        const headers: Record<string, string> = {};
        const secretHeaders: string[] = [];
        for (const [name, value] of Object.entries(config.headers)) {
          const resolved = await resolve(value, index);
          headers[name.toLowerCase()] = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
        }
        if (config.credential) {
          const secret = await services.credential(config.credential);
          if (!secret) throw new NodeError("Its credential is gone, or not this workflow owner's.", false);
          Object.assign(headers, credentialHeaders(secret));
          secretHeaders.push(...Object.keys(credentialHeaders(secret)));
        }
        if (config.connectionId) {
          // A connection that cannot be unsealed will not open on a retry either.
          const connection = await services.connection(config.connectionId).catch((error: Error) => {
            throw new NodeError(error.message, false);
          });
          if (!connection)
            throw new NodeError(
              "Its connection is gone, switched off, or not one this workflow's owner may use.",
              false,
            );
          if (!withinBaseUrl(connection, url))
            throw new NodeError(
              `${url} is outside its connection's base URL; the connection's secret goes nowhere else.`,
              false,
            );
          const secret = connectionHeaders(connection);
          Object.assign(headers, secret);
          secretHeaders.push(...Object.keys(secret));
        }
        headers['idempotency-key'] = idempotencyKey(index);
        const body = config.body === undefined ? undefined : await resolve(config.body, index);
        let response: Awaited<ReturnType<typeof services.http.request>>;
        try {
          response = await services.http.request({
            method: config.method,
            url,
            headers,
            body,
            secretHeaders,
          });
        } catch (error) {
          const permanent =
            error instanceof BlockedAddressError ||
            error instanceof InvalidUrlError ||
            error instanceof ResponseTooLargeError;
          throw new NodeError(`${config.method} ${url}: ${(error as Error).message}`, !permanent);
        }
        if (response.status >= 400 && !config.neverError)
          throw new NodeError(
            `${config.method} ${url} answered ${response.status}`,
            response.status >= 500 || response.status === 429,
          );
        return { status: response.status, body: decode(response.body, response.contentType) };
      }),
    },
  }),
});

function decode(body: Buffer, contentType: string): unknown {
  const text = body.toString('utf8');
  if (/json/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
