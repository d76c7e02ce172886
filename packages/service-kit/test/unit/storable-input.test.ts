import { readableText, storableJsonObject, storableText } from '@conduit/contracts';
// The shared probe of every service's test, from its own module: the package's index would load
// its Postgres, NATS, Redis and mail server helpers into a unit test too.
import { injectSender, probeUnstorableInput } from '@conduit/testing/unstorable-input';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildService, createLogger, type ServiceApp } from '../../src/index.js';

const logger = createLogger({ service: 'kit-test', level: 'silent' });
let app: ServiceApp;
/** What the routes below were given to keep: must stay empty. */
const stored: unknown[] = [];

beforeAll(async () => {
  app = await buildService({ name: 'kit-test', logger });
  app.post(
    '/v1/notes/:folder',
    {
      schema: {
        params: z.object({ folder: storableText(40) }),
        querystring: z.object({ tag: storableText(50).optional() }),
        body: z.object({
          title: readableText(100),
          text: storableText(2000).optional(),
          labels: z.array(storableText(30)).max(10).optional(),
          metadata: storableJsonObject({ maxDepth: 4, maxBytes: 1024 }).optional(),
        }),
      },
    },
    async (request, reply) => {
      stored.push(request.body);
      return reply.code(201).send({ ok: true });
    },
  );
  app.get(
    '/v1/notes',
    { schema: { querystring: z.object({ q: storableText(200).min(1) }) } },
    async (request) => ({ found: request.query.q.length }),
  );
  // No schema at all: the kit's rule still stands between the request and the handler.
  app.put('/v1/raw/:key', { schema: { hide: true } }, async (request) => {
    stored.push(request.body);
    return { ok: true };
  });
  await app.ready();
});
afterAll(() => app.close());

describe('text and JSON Postgres cannot store', () => {
  it('are refused in every field the OpenAPI document declares, and nothing is kept', async () => {
    const report = await probeUnstorableInput({ document: app.swagger(), send: injectSender(app) });
    expect(report.failures).toEqual([]);
    // folder and tag: U+0000, too long; title, text, labels: U+0000, surrogate, too long; metadata:
    // seven bad documents; one 10,000-deep extra property; q: U+0000, too long, WTF-8 surrogate.
    expect(report.probes).toBe(2 + 2 + 3 * 3 + 7 + 1 + 3);
    expect(stored).toEqual([]);
  });

  it.each([
    ['U+0000 in a value', '{"a":"x\\u0000y"}', 'body.a'],
    ['U+0000 in a key', '{"x\\u0000y":1}', 'body.x\u0000y'],
    ['a lone surrogate', '{"a":["ok","\\udc00"]}', 'body.a.1'],
    ['10,000 levels of objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, undefined],
    ['10,000 levels of arrays', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, undefined],
  ])('are refused where no schema is declared: %s', async (_label, payload, path) => {
    const response = await app.inject({
      method: 'PUT',
      url: '/v1/raw/key',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    const problem = response.json();
    expect(problem.code).toBe('validation_failed');
    expect(problem.detail).toMatch(/U\+0000|nest deeper than 64/);
    if (path) expect(problem.errors[0].path).toBe(path);
    expect(stored).toEqual([]);
  });

  it('are refused in undeclared params and query strings', async () => {
    for (const url of ['/v1/raw/a%00b', '/v1/raw/key?x=a%00b']) {
      const response = await app.inject({ method: 'PUT', url, payload: {} });
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toMatch(
        /^The request is invalid: (params\.key|querystring\.x) must not/,
      );
    }
    expect(stored).toEqual([]);
  });

  it('still lets well-formed text through, emoji and all', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/notes/inbox?tag=caf%C3%A9',
      payload: { title: '  Ünïcödé 🎉  ', metadata: { nested: { list: ['é', 1, null] } } },
    });
    expect(response.statusCode).toBe(201);
    expect(stored.splice(0)).toEqual([
      { title: 'Ünïcödé 🎉', metadata: { nested: { list: ['é', 1, null] } } },
    ]);
  });
});

describe('the probe', () => {
  it('finds a string without a maximum and JSON without bounds', async () => {
    const careless = await buildService({ name: 'careless', logger });
    careless.post(
      '/v1/things',
      { schema: { body: z.object({ name: z.string(), data: z.record(z.string(), z.unknown()) }) } },
      async (_request, reply) => reply.code(201).send({ ok: true }),
    );
    await careless.ready();
    const report = await probeUnstorableInput({ document: careless.swagger(), send: injectSender(careless) });
    await careless.close();
    expect(report.failures).toEqual([
      'POST /v1/things body name: a string without maxLength',
      expect.stringMatching(/^POST \/v1\/things data \(512 KiB of JSON\): answered 201/),
    ]);
  });
});
