import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount, eventually, type MailHarness, startMailHarness } from '../fixtures/mail-harness.js';

// Templates (preview, send) and who may touch drafts, templates and outbound mail: the owner, a
// team's owner, member and viewer, a stranger, and someone without the email permissions.
let h: MailHarness;
const ana = { user: 'ana@example.test', password: 'ana-secret-tpl' };
const teamId = randomUUID();
let owner: { headers: { authorization: string }; userId: string };
let member: { headers: { authorization: string } };
let viewer: { headers: { authorization: string } };
let stranger: { headers: { authorization: string } };
let noPerms: { headers: { authorization: string } };
let teamAccountId: string;

beforeAll(async () => {
  h = await startMailHarness({ users: [ana], env: { SYNC_EVERY: '1h' } });
  owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  member = await h.tokens.mint({ teams: { [teamId]: 'member' } });
  viewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
  stranger = await h.tokens.mint();
  noPerms = await h.tokens.mint({ teams: { [teamId]: 'member' }, perms: [] });
  teamAccountId = (
    await connectAccount(
      h,
      (
        await h.tokens.mint({ userId: owner.userId, teams: { [teamId]: 'owner' } })
      ).token,
      ana,
      { teamId },
    )
  ).id;
});
afterAll(async () => h?.close());

const call = (
  who: { headers: { authorization: string } },
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) =>
  h.app.inject({
    method,
    url,
    headers: who.headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

describe('templates', () => {
  it('renders a preview with sample values (HTML escaped), and sends with the values given', async () => {
    const created = await call(owner, 'POST', '/v1/mail/templates', {
      name: 'Welcome',
      subject: 'Welcome, {{ name }}',
      html: '<p>Hello {{name}}, your code is <b>{{code}}</b></p>',
      text: 'Hello {{name}}, your code is {{code}}',
      sampleValues: { name: 'Sample <Person>', code: 'ABC' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const template = created.json();
    expect(template.variables).toEqual(['name', 'code']);

    const preview = await call(owner, 'POST', `/v1/mail/templates/${template.id}/preview`, {
      values: { code: 'XYZ' },
    });
    expect(preview.json()).toEqual({
      subject: 'Welcome, Sample <Person>',
      text: 'Hello Sample <Person>, your code is XYZ',
      html: '<p>Hello Sample &lt;Person&gt;, your code is <b>XYZ</b></p>',
      missing: [],
    });

    const sent = await call(owner, 'POST', `/v1/mail/templates/${template.id}/send`, {
      accountId: teamAccountId,
      to: ['someone@example.org'],
      values: { name: 'Rita', code: '123' },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const { messageId } = sent.json();
    await eventually(
      async () => h.smtp.received.find((mail) => `<${mail.messageId}>` === messageId),
      20_000,
      'the template mail',
    );
    const raw = h.smtp.received.find((mail) => `<${mail.messageId}>` === messageId)!.raw.toString();
    expect(raw).toContain('Subject: Welcome, Rita');
    expect(raw).toContain('your code is 123');
  });

  it('refuses a send with a variable left without a value (422) and a template without a body (400)', async () => {
    const created = await call(owner, 'POST', '/v1/mail/templates', {
      name: 'Needs',
      subject: 'Hi {{who}}',
      text: 'x',
    });
    const send = await call(owner, 'POST', `/v1/mail/templates/${created.json().id}/send`, {
      accountId: teamAccountId,
      to: ['someone@example.org'],
    });
    expect(send.statusCode).toBe(422);
    expect(send.json().detail).toContain('{{who}}');
    const bodiless = await call(owner, 'POST', '/v1/mail/templates', { name: 'Empty', subject: 'Hi' });
    expect(bodiless.statusCode).toBe(400);
  });
});

describe('who may touch drafts, templates and outbound mail', () => {
  it('team drafts: members write and send, viewers only read, strangers see nothing', async () => {
    const created = await call(member, 'POST', '/v1/mail/drafts', {
      accountId: teamAccountId,
      to: ['x@example.org'],
      subject: 'team draft',
    });
    expect(created.statusCode, created.body).toBe(201);
    const draftId = created.json().id;
    const url = `/v1/mail/drafts/${draftId}`;

    expect((await call(owner, 'GET', url)).statusCode).toBe(200);
    expect((await call(viewer, 'GET', url)).statusCode).toBe(200);
    expect((await call(viewer, 'PATCH', url, { subject: 'no' })).statusCode).toBe(403);
    expect((await call(viewer, 'POST', `${url}/send`, {})).statusCode).toBe(403);
    expect((await call(viewer, 'POST', '/v1/mail/drafts', { accountId: teamAccountId })).statusCode).toBe(
      403,
    );
    for (const who of [stranger, noPerms]) {
      expect((await call(who, 'GET', url)).statusCode).toBe(404);
      expect((await call(who, 'PATCH', url, { subject: 'no' })).statusCode).toBe(404);
      expect((await call(who, 'DELETE', url)).statusCode).toBe(404);
      expect((await call(who, 'POST', `${url}/send`, {})).statusCode).toBe(404);
      expect((await call(who, 'POST', '/v1/mail/drafts', { accountId: teamAccountId })).statusCode).toBe(404);
      expect(
        (await call(who, 'POST', '/v1/mail/send', { accountId: teamAccountId, to: ['x@example.org'] }))
          .statusCode,
      ).toBe(404);
      expect((await call(who, 'GET', '/v1/mail/drafts')).json().items).toEqual([]);
    }
    expect((await call(owner, 'PATCH', url, { subject: 'changed by the team owner' })).statusCode).toBe(200);
    const sent = await call(member, 'POST', `${url}/send`, {
      sendAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const outboundUrl = `/v1/mail/outbound/${sent.json().id}`;
    expect((await call(viewer, 'GET', outboundUrl)).statusCode).toBe(200);
    expect((await call(viewer, 'POST', `${outboundUrl}/cancel`)).statusCode).toBe(403);
    expect((await call(stranger, 'GET', outboundUrl)).statusCode).toBe(404);
    expect((await call(stranger, 'POST', `${outboundUrl}/cancel`)).statusCode).toBe(404);
    expect((await call(owner, 'POST', `${outboundUrl}/cancel`)).json()).toMatchObject({ status: 'canceled' });
    expect((await call(owner, 'POST', `${outboundUrl}/cancel`)).statusCode).toBe(409);
    expect((await call(member, 'DELETE', url)).statusCode).toBe(404);
  });

  it('templates: the team reads and members change, viewers do not, strangers see nothing; system ones are read-only', async () => {
    const created = await call(member, 'POST', '/v1/mail/templates', {
      name: 'Team',
      subject: 's',
      text: 't',
      teamId,
    });
    expect(created.statusCode, created.body).toBe(201);
    const url = `/v1/mail/templates/${created.json().id}`;
    expect((await call(viewer, 'GET', url)).statusCode).toBe(200);
    expect((await call(viewer, 'POST', `${url}/preview`, {})).statusCode).toBe(200);
    expect((await call(viewer, 'PATCH', url, { name: 'no' })).statusCode).toBe(403);
    expect((await call(viewer, 'DELETE', url)).statusCode).toBe(403);
    expect(
      (await call(viewer, 'POST', '/v1/mail/templates', { name: 'v', subject: 's', text: 't', teamId }))
        .statusCode,
    ).toBe(403);
    for (const who of [stranger, noPerms]) {
      expect((await call(who, 'GET', url)).statusCode).toBe(404);
      expect((await call(who, 'PATCH', url, { name: 'no' })).statusCode).toBe(404);
      expect((await call(who, 'POST', `${url}/preview`, {})).statusCode).toBe(404);
      expect(
        (await call(who, 'POST', `${url}/send`, { accountId: teamAccountId, to: ['x@example.org'] }))
          .statusCode,
      ).toBe(404);
    }
    expect((await call(owner, 'PATCH', url, { name: 'Renamed' })).json()).toMatchObject({ name: 'Renamed' });

    const [system] = await h.admin<{ id: string }[]>`
      insert into email.email_templates (id, key, name, subject, text_body)
      values (gen_random_uuid(), ${`identity.test_${Date.now()}`}, 'System', 'Reset', 'Your token: {{token}}') returning id`;
    const systemUrl = `/v1/mail/templates/${system!.id}`;
    expect((await call(stranger, 'GET', systemUrl)).json()).toMatchObject({
      name: 'System',
      variables: ['token'],
    });
    expect((await call(owner, 'PATCH', systemUrl, { name: 'mine now' })).statusCode).toBe(403);
    const admin = await h.tokens.mint({ platformAdmin: true });
    expect((await call(admin, 'PATCH', systemUrl, { subject: 'Reset your password' })).statusCode).toBe(200);
    expect((await call(member, 'DELETE', url)).statusCode).toBe(204);
  });

  it('anonymous callers get 401 on every drafts, sending and templates route', async () => {
    const id = randomUUID();
    for (const [method, url] of [
      ['GET', '/v1/mail/drafts'],
      ['POST', '/v1/mail/drafts'],
      ['GET', `/v1/mail/drafts/${id}`],
      ['POST', `/v1/mail/drafts/${id}/send`],
      ['POST', '/v1/mail/send'],
      ['GET', '/v1/mail/outbound'],
      ['GET', `/v1/mail/outbound/${id}`],
      ['GET', '/v1/mail/templates'],
      ['POST', `/v1/mail/templates/${id}/preview`],
    ] as const) {
      const res = await h.app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });
});
