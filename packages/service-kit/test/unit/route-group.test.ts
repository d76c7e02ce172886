import { DomainError } from '@conduit/errors';
import type { FastifyContextConfig } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildService, clientInfo, createLogger, routeGroup, type ServiceApp } from '../../src/index.js';

let app: ServiceApp;
const things = new Map<string, { id: string; name: string }>();
const thing = z.object({ id: z.uuid(), name: z.string() });
const params = z.object({ id: z.uuid() });

beforeAll(async () => {
  app = await buildService({
    name: 'route-group-test',
    logger: createLogger({ service: 'rg', level: 'silent' }),
  });
  const route = routeGroup(app, { tags: ['things'] });
  route.post(
    '/v1/things',
    {
      summary: 'Make a thing',
      body: z.object({ name: z.string().min(1) }),
      status: 201,
      response: thing,
      problems: [400],
    },
    async (request) => {
      const made = { id: crypto.randomUUID(), name: request.body.name };
      things.set(made.id, made);
      return made;
    },
  );
  route.get(
    '/v1/things/:id',
    { summary: 'A thing', params, response: thing, problems: [400, 404], responses: { 409: thing } },
    async (request) => {
      const found = things.get(request.params.id);
      if (!found) throw new DomainError('not_found', 'No such thing.');
      return found;
    },
  );
  route.delete(
    '/v1/things/:id',
    { summary: 'Forget a thing', params, status: 204, problems: [400] },
    async (request) => {
      things.delete(request.params.id);
    },
  );
  route.get(
    '/v1/things.csv',
    { summary: 'Every thing as CSV', response: z.string(), problems: [] },
    async (_request, reply) =>
      reply.type('text/csv').send([...things.values()].map((t) => t.name).join('\n')),
  );
  const open = routeGroup(app, { tags: ['open'], security: null });
  open.post('/v1/ping', { summary: 'Ask for a pong later', status: 202, problems: [] }, async () => {});
  open.get(
    '/v1/whoami',
    {
      summary: 'Who is calling',
      response: z.object({ ip: z.string(), userAgent: z.string().optional() }),
      problems: [],
    },
    async (request) => clientInfo(request),
  );
  open.get(
    '/v1/config',
    {
      summary: 'The route config the handler sees',
      response: z.object({ limit: z.number().optional() }),
      problems: [],
      config: { limit: 3 } as FastifyContextConfig,
    },
    async (request) => ({ limit: (request.routeOptions.config as { limit?: number }).limit }),
  );
  await app.ready();
});
afterAll(() => app.close());

describe('route group', () => {
  it('answers with the route status: 201 with the answer, 204 with no body, 202 with null', async () => {
    const made = await app.inject({ method: 'POST', url: '/v1/things', payload: { name: 'kettle' } });
    expect(made.statusCode).toBe(201);
    const { id } = made.json();
    expect((await app.inject({ method: 'GET', url: `/v1/things/${id}` })).json()).toEqual({
      id,
      name: 'kettle',
    });
    const csv = await app.inject({ method: 'GET', url: '/v1/things.csv' });
    expect([csv.statusCode, csv.headers['content-type'], csv.body]).toEqual([200, 'text/csv', 'kettle']);
    const gone = await app.inject({ method: 'DELETE', url: `/v1/things/${id}` });
    expect([gone.statusCode, gone.body]).toEqual([204, '']);
    const ping = await app.inject({ method: 'POST', url: '/v1/ping' });
    expect([ping.statusCode, ping.json()]).toEqual([202, null]);
  });

  it('validates params and body and maps domain errors to problems', async () => {
    const badId = await app.inject({ method: 'GET', url: '/v1/things/not-a-uuid' });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].path).toBe('params.id');
    const badBody = await app.inject({ method: 'POST', url: '/v1/things', payload: { name: '' } });
    expect(badBody.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    const missing = await app.inject({ method: 'GET', url: `/v1/things/${crypto.randomUUID()}` });
    expect(missing.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'No such thing.' });
  });

  it("hands a route's own config to fastify (where a plugin such as a rate limit reads it)", async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/config' })).json()).toEqual({ limit: 3 });
  });

  it('tells who is calling: the address and user agent', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/whoami',
      headers: { 'user-agent': 'kettle/1.0' },
    });
    expect(res.json()).toEqual({ ip: '127.0.0.1', userAgent: 'kettle/1.0' });
  });

  it('documents tags, bearer security unless the group is open, and every answer', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const read = doc.paths['/v1/things/{id}'].get;
    expect(read.tags).toEqual(['things']);
    expect(read.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(read.responses).sort()).toEqual(['200', '400', '404', '409']);
    expect(Object.keys(doc.paths['/v1/things/{id}'].delete.responses).sort()).toEqual(['204', '400']);
    const ping = doc.paths['/v1/ping'].post;
    expect(ping.tags).toEqual(['open']);
    expect(ping.security).toBeUndefined();
    expect(Object.keys(ping.responses)).toEqual(['202']);
  });
});
