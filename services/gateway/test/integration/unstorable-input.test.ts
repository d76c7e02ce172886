import { createTokenMint, type TokenMint, testRedisPrefix } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHarness, startGateway } from '../fixtures/gateway-harness.js';

// The gateway's own routes (the queue dashboard's way in and its pages, the widget script) are in
// no service's OpenAPI document, so the shared probe (run through the gateway over /docs/json in
// e2e/test/gateway-whole-system.test.ts) does not reach them. They are fed here what Postgres
// cannot store, 10,000-deep JSON and oversized strings, as a platform admin and as no one: never
// a 5xx, and every refusal a problem.

const DEEP = 10_000;
/** As they travel in a URL: U+0000, a lone surrogate (its WTF-8 bytes), an oversized value. */
const badText = ['a%00b', '%ED%A0%80', 'x'.repeat(5_000)];
const badBodies = [
  `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`,
  `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`,
  '{"fuzz\\u0000key":1}',
  '{"a":"\\ud800"}',
  JSON.stringify({ big: 'x'.repeat(512 * 1024) }),
];

let mint: TokenMint;
let gateway: GatewayHarness;

beforeAll(async () => {
  mint = await createTokenMint([]);
  gateway = await startGateway(
    { REDIS_KEY_PREFIX: testRedisPrefix(), IDENTITY_URL: 'http://127.0.0.1:9' },
    mint.verifier,
  );
}, 60_000);
afterAll(() => gateway?.close());

/** Each answer that is a 5xx, or a 4xx that is not a problem document. */
async function findings(requests: { method: string; path: string; body?: string }[], headers = {}) {
  const found: string[] = [];
  for (const { method, path, body } of requests) {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
    const type = response.headers.get('content-type') ?? '';
    const text = await response.text();
    if (response.status >= 500 || (response.status >= 400 && !type.startsWith('application/problem+json')))
      found.push(
        `${method} ${path.slice(0, 80)} ${body?.slice(0, 40) ?? ''} -> ${response.status} ${text.slice(0, 200)}`,
      );
  }
  return found;
}

const requests = () => [
  ...badBodies.map((body) => ({ method: 'POST', path: '/v1/admin/queue-dashboard/tickets', body })),
  ...badText.flatMap((text) => {
    const value = text;
    return [
      { method: 'POST', path: `/v1/admin/queue-dashboard/tickets?${value}=${value}` },
      { method: 'GET', path: `/admin/queues/?ticket=${value}` },
      { method: 'GET', path: `/admin/queues/api/queues?activeQueue=${value}&status=${value}` },
      { method: 'GET', path: `/admin/queues/api/queues/${value}/${value}` },
      { method: 'GET', path: `/widget.js?${value}=${value}` },
      { method: 'GET', path: `/v1/${value}` },
    ];
  }),
];

describe("the gateway's own routes, fed what Postgres cannot store", () => {
  it('answer no one with 4xx problems, never a 5xx', async () => {
    expect(await findings(requests())).toEqual([]);
  });

  it('answer a platform admin with 4xx problems, never a 5xx', async () => {
    const admin = await mint.mint({ platformAdmin: true });
    expect(await findings(requests(), admin.headers)).toEqual([]);
  });
});
