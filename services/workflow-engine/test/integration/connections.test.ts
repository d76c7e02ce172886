import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@conduit/service-kit';
import { localServices } from '@conduit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBearerApi, startSmtpServer } from '../fixtures/auth-servers.js';
import {
  callAs,
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

// Connections (user_integrations): config checked against the catalog's JSON Schema, secrets
// sealed and never answered, logged, queued, published or stored with an execution; used by the
// http-request node only where the workflow's owner may use them.

const serviceDir = fileURLToPath(new URL('../..', import.meta.url));
const HTTP_BEARER = '01935c2e-0000-7000-8000-000000000001';
const SMTP = '01935c2e-0000-7000-8000-000000000005';
type User = { token: string; userId: string };

let h: WorkflowHarness;
let api: Awaited<ReturnType<typeof startBearerApi>>;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let worker: ChildProcess;
let workerLog = '';
/** The HTTP side's log (at trace): where connections are made, changed and tried. */
let httpLog = '';
const teamId = randomUUID();
let owner: User;
let member: User;
let stranger: User;
let admin: User;
let token = `secret-token-${randomUUID()}`;
const SMTP_PASSWORD = `smtp-pass-${randomUUID()}`;

beforeAll(async () => {
  [h, api, smtp] = await Promise.all([
    // Executions run in a worker process of their own, whose log (at trace) the test reads, as it
    // reads the HTTP side's.
    startWorkflowHarness({
      worker: false,
      log: createLogger({ service: 'workflow-test', level: 'trace' }, { write: (line) => (httpLog += line) }),
    }),
    startBearerApi(() => token),
    startSmtpServer('mailer', () => SMTP_PASSWORD),
  ]);
  worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: serviceDir,
    env: { ...process.env, ...h.childEnv, LOG_LEVEL: 'trace' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => (workerLog += chunk.toString('utf8')));
  worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString('utf8')));
  owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  member = await h.tokens.mint({ teams: { [teamId]: 'member' } });
  stranger = await h.tokens.mint();
  admin = await h.tokens.mint({ platformAdmin: true });
}, 90_000);
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  await Promise.all([h?.close(), api?.close(), smtp?.close()]);
}, 30_000);

const call = (user: User, method: string, url: string, payload?: object) =>
  callAs(h, user, method, url, payload);

async function connect(user: User, body: Record<string, unknown>) {
  const res = await call(user, 'POST', '/v1/integrations/connections', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; config: Record<string, unknown>; secretFields: string[] };
}

const bearerConnection = (user: User, extra: Record<string, unknown> = {}) =>
  connect(user, {
    integrationId: HTTP_BEARER,
    name: `API ${randomUUID().slice(0, 6)}`,
    config: { baseUrl: `${api.url}/v1`, token },
    ...extra,
  });

const callingWorkflow = (connectionId: string, extra: Record<string, unknown> = {}) => ({
  ...chain('calls the API', [
    { name: 'Call', type: 'http-request', config: { url: `${api.url}/v1/things`, connectionId } },
  ]),
  ...extra,
});

/** Every value under the harness's Redis prefix (job payloads, schedulers, events), as one text. */
async function redisDump(): Promise<string> {
  const redis = new Redis(localServices.redisUrl);
  try {
    const keys = await redis.keys(`${h.childEnv.REDIS_KEY_PREFIX}*`);
    const parts: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

describe('integrations catalog', () => {
  it('is read by anyone signed in and kept by platform admins only', async () => {
    const listed = await call(stranger, 'GET', '/v1/integrations');
    expect(listed.statusCode).toBe(200);
    expect(
      listed
        .json()
        .items.map((i: { key: string }) => i.key)
        .sort(),
    ).toEqual(
      ['chat-webhook', 'http-api-key', 'http-basic', 'http-bearer', 'openai-compatible', 'smtp'].sort(),
    );
    expect((await h.app.inject({ method: 'GET', url: '/v1/integrations' })).statusCode).toBe(401);
    const entry = {
      key: `custom-${randomUUID().slice(0, 8)}`,
      name: 'Custom API',
      category: 'http',
      kind: 'http-bearer',
      configSchema: {
        type: 'object',
        properties: { baseUrl: { type: 'string' }, token: { type: 'string', writeOnly: true } },
      },
    };
    expect((await call(owner, 'POST', '/v1/integrations', entry)).statusCode).toBe(403);
    const badSchema = await call(admin, 'POST', '/v1/integrations', {
      ...entry,
      configSchema: { type: 'object', properties: { a: { type: 'strnig' } } },
    });
    expect(badSchema.statusCode).toBe(422);
    const created = await call(admin, 'POST', '/v1/integrations', entry);
    expect(created.statusCode, created.body).toBe(201);
    expect((await call(admin, 'POST', '/v1/integrations', entry)).statusCode).toBe(409);
    const id = created.json().id;
    expect((await call(owner, 'PATCH', `/v1/integrations/${id}`, { isActive: false })).statusCode).toBe(403);
    expect((await call(admin, 'PATCH', `/v1/integrations/${id}`, { isActive: false })).statusCode).toBe(200);
    const keys = (await call(owner, 'GET', '/v1/integrations'))
      .json()
      .items.map((i: { key: string }) => i.key);
    expect(keys).not.toContain(entry.key);
    const retired = await call(owner, 'POST', '/v1/integrations/connections', {
      integrationId: id,
      name: 'x',
      config: { baseUrl: 'https://example.com', token: 'x' },
    });
    expect(retired.statusCode).toBe(422);
  });
});

describe('connections', () => {
  it('check config against the JSON Schema, naming each failing path', async () => {
    const res = await call(owner, 'POST', '/v1/integrations/connections', {
      integrationId: SMTP,
      name: 'Mail',
      config: { host: 'mail.example.com', port: 99999, from: 'not-an-address', extra: 1 },
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const paths = res
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort();
    expect(paths).toEqual(['config.extra', 'config.from', 'config.port'].sort());
    const unknown = await call(owner, 'POST', '/v1/integrations/connections', {
      integrationId: randomUUID(),
      name: 'x',
      config: {},
    });
    expect(unknown.statusCode).toBe(404);
    const foreignTeam = await call(owner, 'POST', '/v1/integrations/connections', {
      integrationId: HTTP_BEARER,
      name: 'x',
      config: { baseUrl: 'https://example.com', token: 'x' },
      sharedTeamIds: [randomUUID()],
    });
    expect(foreignTeam.statusCode).toBe(422);
  });

  it('seal secrets and answer them masked; a masked value sent back keeps the secret', async () => {
    const created = await bearerConnection(owner);
    expect(created.config.token).toBe('********');
    expect(created.secretFields).toEqual(['token']);
    const [row] =
      await h.admin`select config, sealed from workflow.user_integrations where id = ${created.id}`;
    expect(JSON.stringify(row)).not.toContain(token);
    const renamed = await call(owner, 'PATCH', `/v1/integrations/connections/${created.id}`, {
      name: 'Renamed',
      config: { ...created.config },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const tested = await call(owner, 'POST', `/v1/integrations/connections/${created.id}/test`);
    expect(tested.json()).toMatchObject({ ok: true, status: 200 });
    for (const answer of [
      renamed,
      tested,
      await call(owner, 'GET', '/v1/integrations/connections'),
      await call(owner, 'GET', `/v1/integrations/connections/${created.id}`),
    ])
      expect(answer.body).not.toContain(token);
  });

  it('are tried by POST .../test, which says what failed', async () => {
    const wrong = await connect(owner, {
      integrationId: HTTP_BEARER,
      name: 'Wrong token',
      config: { baseUrl: api.url, token: 'not-the-token' },
    });
    const refused = (await call(owner, 'POST', `/v1/integrations/connections/${wrong.id}/test`)).json();
    expect(refused).toMatchObject({ ok: false, status: 401 });
    expect(refused.message).toContain('refused the credentials');

    const mail = await connect(owner, {
      integrationId: SMTP,
      name: 'Mail',
      config: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        username: 'mailer',
        password: SMTP_PASSWORD,
        from: 'bot@example.com',
      },
    });
    const good = await call(owner, 'POST', `/v1/integrations/connections/${mail.id}/test`);
    expect(good.json(), good.body).toMatchObject({ ok: true });
    expect(good.body).not.toContain(SMTP_PASSWORD);
    await call(owner, 'PATCH', `/v1/integrations/connections/${mail.id}`, {
      config: { ...mail.config, password: 'wrong' },
    });
    const bad = (await call(owner, 'POST', `/v1/integrations/connections/${mail.id}/test`)).json();
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain('refused the login');

    expect((await call(stranger, 'POST', `/v1/integrations/connections/${mail.id}/test`)).statusCode).toBe(
      404,
    );
  });

  it('authorize an http-request node; the secret is in no answer, row, job, event or log line', async () => {
    token = `secret-token-${randomUUID()}`;
    const connection = await bearerConnection(owner);
    const workflow = await createWorkflow(h, owner.token, callingWorkflow(connection.id));
    const executionId = await runWorkflow(h, owner.token, workflow.id);
    const execution = await waitForExecution(h, owner.token, executionId, undefined, 60_000);
    expect(execution.status, JSON.stringify(execution)).toBe('success');
    expect(api.seen.some((r) => r.path === '/v1/things' && r.authorized)).toBe(true);

    const answers = [
      JSON.stringify(execution),
      (await call(owner, 'GET', `/v1/executions?workflowId=${workflow.id}`)).body,
      (await call(owner, 'GET', `/v1/workflows/${workflow.id}`)).body,
      (await call(owner, 'GET', `/v1/workflows/${workflow.id}/export`)).body,
    ];
    const rows = await h.admin`
      select (select coalesce(json_agg(e), '[]') from workflow.workflow_executions e)::text
        || (select coalesce(json_agg(n), '[]') from workflow.node_executions n)::text
        || (select coalesce(json_agg(d), '[]') from workflow.execution_data d)::text
        -- Every event the engine publishes goes through its outbox first.
        || (select coalesce(json_agg(o), '[]') from workflow.outbox o)::text
        || (select coalesce(json_agg(f), '[]') from workflow.failed_jobs f)::text
        || (select coalesce(json_agg(v), '[]') from workflow.workflow_versions v)::text as dump`;
    const dumps = {
      answers: answers.join('\n'),
      rows: rows[0]!.dump as string,
      jobs: await redisDump(),
      log: workerLog,
      httpLog,
    };
    expect(workerLog.length).toBeGreaterThan(0);
    expect(httpLog).toContain('/v1/integrations/connections');
    for (const [where, text] of Object.entries(dumps)) expect(text.includes(token), where).toBe(false);
    // The SMTP connection made, tried and changed before: its password is in neither log either.
    expect(workerLog.includes(SMTP_PASSWORD) || httpLog.includes(SMTP_PASSWORD)).toBe(false);
  });

  it("of a stranger, or a member's private one in a team workflow, are refused at save and at run", async () => {
    const theirs = await bearerConnection(stranger);
    const refused = await call(owner, 'POST', '/v1/workflows', callingWorkflow(theirs.id));
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0].path).toBe('nodes.1.config.connectionId');

    const membersOwn = await bearerConnection(member);
    expect(
      (await call(member, 'POST', '/v1/workflows', callingWorkflow(membersOwn.id, { teamId }))).statusCode,
    ).toBe(422);
    const shared = await bearerConnection(member, { sharedTeamIds: [teamId] });
    expect(
      (await call(member, 'POST', '/v1/workflows', callingWorkflow(shared.id, { teamId }))).statusCode,
    ).toBe(201);

    // Saved while it was the owner's, then it is no longer theirs: the run refuses it.
    const mine = await bearerConnection(owner);
    const workflow = await createWorkflow(h, owner.token, callingWorkflow(mine.id));
    await h.admin`update workflow.user_integrations set user_id = ${stranger.userId} where id = ${mine.id}`;
    const before = api.seen.length;
    const failed = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id),
      undefined,
      60_000,
    );
    expect(failed.status).toBe('error');
    expect(failed.error).toContain("not one this workflow's owner may use");
    expect(api.seen.length).toBe(before);
  });

  it('send their secret only under their base URL', async () => {
    const connection = await bearerConnection(owner);
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('elsewhere', [
        {
          name: 'Call',
          type: 'http-request',
          config: { url: `${api.url}/other`, connectionId: connection.id },
        },
      ]),
    );
    const run = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id),
      undefined,
      60_000,
    );
    expect(run.status).toBe('error');
    expect(run.error).toContain("outside its connection's base URL");
  });

  it('fail to unseal clearly when the row was altered or sealed with an unknown key version', async () => {
    for (const alter of [
      (sealed: string) => sealed.replace(/^v\d+\./, 'v9.'),
      (sealed: string) => `${sealed.slice(0, -4)}${sealed.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`,
    ]) {
      const connection = await bearerConnection(owner);
      const workflow = await createWorkflow(h, owner.token, callingWorkflow(connection.id));
      const [row] = await h.admin`select sealed from workflow.user_integrations where id = ${connection.id}`;
      await h.admin`update workflow.user_integrations set sealed = ${alter(row!.sealed)} where id = ${connection.id}`;
      const tested = await call(owner, 'POST', `/v1/integrations/connections/${connection.id}/test`);
      expect(tested.statusCode).toBe(422);
      expect(tested.json().detail).toContain('cannot be opened');
      const run = await waitForExecution(
        h,
        owner.token,
        await runWorkflow(h, owner.token, workflow.id),
        undefined,
        60_000,
      );
      expect(run.status).toBe('error');
      expect(run.error).toContain('cannot be opened');
    }
    // A sealed value moved to another connection's row does not open there either.
    const [a, b] = [await bearerConnection(owner), await bearerConnection(owner)];
    await h.admin`update workflow.user_integrations set sealed = (select sealed from workflow.user_integrations where id = ${a.id}) where id = ${b.id}`;
    expect((await call(owner, 'POST', `/v1/integrations/connections/${b.id}/test`)).statusCode).toBe(422);
  });

  it('are changed and deleted by those who may write them; strangers learn nothing', async () => {
    const team = await bearerConnection(owner, { teamId });
    const viewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
    expect((await call(viewer, 'GET', `/v1/integrations/connections/${team.id}`)).statusCode).toBe(200);
    expect(
      (await call(viewer, 'PATCH', `/v1/integrations/connections/${team.id}`, { name: 'x' })).statusCode,
    ).toBe(403);
    expect((await call(stranger, 'GET', `/v1/integrations/connections/${team.id}`)).statusCode).toBe(404);
    expect((await call(stranger, 'DELETE', `/v1/integrations/connections/${team.id}`)).statusCode).toBe(404);
    expect((await call(member, 'DELETE', `/v1/integrations/connections/${team.id}`)).statusCode).toBe(204);
  });
});
