import { Writable } from 'node:stream';
import { DomainError } from '@conduit/errors';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildService, createLogger, type ServiceApp } from '../../src/index.js';

/** Every line the service logs, parsed. */
const lines: Record<string, unknown>[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    lines.push(JSON.parse(String(chunk)));
    done();
  },
});

let app: ServiceApp;
beforeAll(async () => {
  app = await buildService({
    name: 'log-test',
    logger: createLogger({ service: 'log-test', level: 'info' }, destination),
    slowRequestMs: 50,
  });
  app.get('/v1/quiet', async (request) => {
    request.log.debug('not at info');
    return { ok: true };
  });
  app.get('/v1/noted', async (request) => {
    request.log.info({ detail: 'x' }, 'noted');
    request.log.child({ part: 'inner' }).warn('from a child');
    return { ok: true };
  });
  app.get('/v1/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    return { ok: true };
  });
  app.get('/v1/broken', async () => {
    throw new DomainError('internal', 'Broken on purpose.');
  });
  await app.ready();
});
afterAll(() => app.close());
beforeEach(() => {
  lines.length = 0;
});

const get = (url: string) =>
  app.inject({ method: 'GET', url, headers: { 'x-request-id': `req-${url.slice(4)}` } });

describe("a request's logger", () => {
  it('writes nothing for a quick answer, nor for what is below the level', async () => {
    expect((await get('/v1/quiet')).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it("binds the request's id to what the handler logs, and to its children", async () => {
    expect((await get('/v1/noted')).statusCode).toBe(200);
    expect(lines).toMatchObject([
      { level: 30, msg: 'noted', detail: 'x', reqId: 'req-noted', name: 'log-test' },
      { level: 40, msg: 'from a child', part: 'inner', reqId: 'req-noted' },
    ]);
  });

  it('logs slow requests and server errors with the request id', async () => {
    expect((await get('/v1/slow')).statusCode).toBe(200);
    expect((await get('/v1/broken')).statusCode).toBe(500);
    expect(lines.filter((line) => line.msg === 'slow request')).toMatchObject([
      { level: 40, reqId: 'req-slow', url: '/v1/slow', statusCode: 200 },
    ]);
    expect(lines.filter((line) => line.reqId === 'req-broken').map((line) => line.msg)).toEqual([
      'request failed',
      'request answered with a server error',
    ]);
  });
});

describe('at debug', () => {
  const debugLines: Record<string, unknown>[] = [];
  let debugApp: ServiceApp;
  beforeAll(async () => {
    debugApp = await buildService({
      name: 'log-test-debug',
      logger: createLogger(
        { service: 'log-test-debug', level: 'debug' },
        new Writable({
          write(chunk, _encoding, done) {
            debugLines.push(JSON.parse(String(chunk)));
            done();
          },
        }),
      ),
    });
    debugApp.get('/v1/quick', async () => ({ ok: true }));
    await debugApp.ready();
  });
  afterAll(() => debugApp.close());

  it('logs every request, quick ones too', async () => {
    const res = await debugApp.inject({
      method: 'GET',
      url: '/v1/quick?x=1',
      headers: { 'x-request-id': 'req-q' },
    });
    expect(res.statusCode).toBe(200);
    expect(debugLines.filter((line) => line.msg === 'request')).toMatchObject([
      { level: 20, reqId: 'req-q', method: 'GET', url: '/v1/quick', statusCode: 200 },
    ]);
  });
});
