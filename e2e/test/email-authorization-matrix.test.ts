import { randomUUID } from 'node:crypto';
import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
  type TokenClaims,
} from '@conduit/email-sync/test/fixtures/mail-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixRow, runMatrixRow } from '../src/authorization-matrix.js';

// Who may do what with mail, through the gateway, kept as data: each route of the email service
// against every kind of caller. The mailbox A belongs to `owner` and is shared with team T; a
// stranger is in a team of their own. Password and mail servers are the test Dovecot's.
const ACTORS = ['anonymous', 'owner', 'teamOwner', 'teamMember', 'teamViewer', 'stranger'] as const;
type ActorName = (typeof ACTORS)[number];

interface Context {
  account: string;
  inbox: string;
  junk: string;
  message: string;
  attachmentPart: string;
  draft: string;
  template: string;
  outbound: string;
  fresh(kind: 'account' | 'message' | 'draft' | 'template' | 'scheduled'): Promise<string>;
}
const TEAM = randomUUID();
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };
const A = (c: Context) => `/v1/mail/accounts/${c.account}`;
const M = (c: Context) => `/v1/mail/messages/${c.message}`;

// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: MatrixRow<Context, ActorName>[] = [
  // Columns: anonymous, owner, team owner, team member, team viewer, stranger.
  { route: 'GET accounts', request: () => ({ method: 'GET', url: '/v1/mail/accounts' }), expected: [401, 200, 200, 200, 200, 200] },
  { route: 'POST account in team', request: (c) => ({ method: 'POST', url: '/v1/mail/accounts', body: { ...accountBody(c), teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404] },
  { route: 'GET account', request: (c) => ({ method: 'GET', url: A(c) }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'PATCH account', request: (c) => ({ method: 'PATCH', url: A(c), body: { displayName: 'Ana' } }), expected: [401, 200, 200, 200, 403, 404] },
  { route: 'DELETE account', request: async (c) => ({ method: 'DELETE', url: `/v1/mail/accounts/${await c.fresh('account')}` }), expected: [401, 204, 204, 204, 403, 404] },
  { route: 'POST sync now', request: (c) => ({ method: 'POST', url: `${A(c)}/sync` }), expected: [401, 202, 202, 202, 403, 404] },
  { route: 'GET folders', request: (c) => ({ method: 'GET', url: `${A(c)}/folders` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'GET folder messages', request: (c) => ({ method: 'GET', url: `/v1/mail/folders/${c.inbox}/messages?unread=true` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'GET search', request: (c) => ({ method: 'GET', url: `/v1/mail/search?q=report&accountId=${c.account}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'GET message', request: (c) => ({ method: 'GET', url: M(c) }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'GET thread', request: (c) => ({ method: 'GET', url: `${M(c)}/thread` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'GET attachment', request: (c) => ({ method: 'GET', url: `${M(c)}/attachments/${c.attachmentPart}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'PATCH message flags', request: (c) => ({ method: 'PATCH', url: M(c), body: { flagged: true } }), expected: [401, 200, 200, 200, 403, 404] },
  { route: 'POST move message', request: async (c) => ({ method: 'POST', url: `/v1/mail/messages/${await c.fresh('message')}/move`, body: { folderId: c.junk } }), expected: [401, 200, 200, 200, 403, 404] },
  { route: 'DELETE message', request: async (c) => ({ method: 'DELETE', url: `/v1/mail/messages/${await c.fresh('message')}` }), expected: [401, 204, 204, 204, 403, 404] },
  { route: 'POST draft', request: (c) => ({ method: 'POST', url: '/v1/mail/drafts', body: draftBody(c) }), expected: [401, 201, 201, 201, 403, 404] },
  { route: 'GET drafts', request: () => ({ method: 'GET', url: '/v1/mail/drafts' }), expected: [401, 200, 200, 200, 200, 200] },
  { route: 'GET draft', request: (c) => ({ method: 'GET', url: `/v1/mail/drafts/${c.draft}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'PATCH draft', request: (c) => ({ method: 'PATCH', url: `/v1/mail/drafts/${c.draft}`, body: { subject: 'changed' } }), expected: [401, 200, 200, 200, 403, 404] },
  { route: 'DELETE draft', request: async (c) => ({ method: 'DELETE', url: `/v1/mail/drafts/${await c.fresh('draft')}` }), expected: [401, 204, 204, 204, 403, 404] },
  { route: 'POST send draft', request: async (c) => ({ method: 'POST', url: `/v1/mail/drafts/${await c.fresh('draft')}/send`, body: {} }), expected: [401, 202, 202, 202, 403, 404] },
  { route: 'POST send', request: (c) => ({ method: 'POST', url: '/v1/mail/send', body: { accountId: c.account, to: ['bo@example.test'], subject: 'hi', text: 'hello' } }), expected: [401, 202, 202, 202, 403, 404] },
  { route: 'GET outbound', request: () => ({ method: 'GET', url: '/v1/mail/outbound' }), expected: [401, 200, 200, 200, 200, 200] },
  { route: 'GET outbound message', request: (c) => ({ method: 'GET', url: `/v1/mail/outbound/${c.outbound}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'POST cancel outbound', request: async (c) => ({ method: 'POST', url: `/v1/mail/outbound/${await c.fresh('scheduled')}/cancel` }), expected: [401, 200, 200, 200, 403, 404] },
  { route: 'POST template in team', request: () => ({ method: 'POST', url: '/v1/mail/templates', body: { ...templateBody(), teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404] },
  { route: 'GET templates', request: () => ({ method: 'GET', url: '/v1/mail/templates' }), expected: [401, 200, 200, 200, 200, 200] },
  { route: 'GET template', request: (c) => ({ method: 'GET', url: `/v1/mail/templates/${c.template}` }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'PATCH template', request: (c) => ({ method: 'PATCH', url: `/v1/mail/templates/${c.template}`, body: { subject: 'Hello {{name}}!' } }), expected: [401, 200, 200, 200, 403, 404] },
  { route: 'DELETE template', request: async (c) => ({ method: 'DELETE', url: `/v1/mail/templates/${await c.fresh('template')}` }), expected: [401, 204, 204, 204, 403, 404] },
  { route: 'POST template preview', request: (c) => ({ method: 'POST', url: `/v1/mail/templates/${c.template}/preview`, body: { values: { name: 'Bo' } } }), expected: [401, 200, 200, 200, 200, 404] },
  { route: 'POST template send', request: (c) => ({ method: 'POST', url: `/v1/mail/templates/${c.template}/send`, body: { accountId: c.account, to: ['bo@example.test'], values: { name: 'Bo' } } }), expected: [401, 202, 202, 202, 403, 404] },
  { route: 'GET unknown account', request: () => ({ method: 'GET', url: `/v1/mail/accounts/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404] },
  { route: 'GET unknown message', request: () => ({ method: 'GET', url: `/v1/mail/messages/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404] },
];

let mail: MailHarness;
let gateway: GatewayHarness;
const tokens = {} as Record<ActorName, string | undefined>;
let context: Context;

function accountBody(_c?: Context) {
  return {
    emailAddress: ana.user,
    imap: { host: mail.dovecot.host, port: mail.dovecot.imapPort, security: 'none' },
    smtp: { host: mail.smtp.host, port: mail.smtp.port, security: 'none' },
    password: ana.password,
  };
}

const draftBody = (c: Context) => ({
  accountId: c.account,
  to: ['bo@example.test'],
  subject: 'draft',
  text: 'hello',
});
const templateBody = () => ({
  name: 'greeting',
  subject: 'Hello {{name}}',
  text: 'Hi {{name}}',
  sampleValues: { name: 'you' },
});

const withAttachment = [
  'From: Boss <boss@example.test>',
  'To: ana@example.test',
  'Subject: report',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain',
  '',
  'the report is attached',
  '--b1',
  'Content-Type: text/plain; name="r.txt"',
  'Content-Disposition: attachment; filename="r.txt"',
  '',
  'numbers',
  '--b1--',
  '',
].join('\r\n');

beforeAll(async () => {
  mail = await startMailHarness({ users: [ana] });
  const mailUrl = await mail.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway(
    { EMAIL_SYNC_URL: mailUrl, IDENTITY_URL: 'http://127.0.0.1:9', RATE_LIMIT_MAX: '100000' },
    mail.tokens.verifier,
  );
  const claims: Record<Exclude<ActorName, 'anonymous'>, TokenClaims> = {
    owner: { teams: { [TEAM]: 'member' } },
    teamOwner: { teams: { [TEAM]: 'owner' } },
    teamMember: { teams: { [TEAM]: 'member' } },
    teamViewer: { teams: { [TEAM]: 'viewer' } },
    stranger: { teams: { [randomUUID()]: 'owner' } },
  };
  tokens.anonymous = undefined;
  for (const [actor, claim] of Object.entries(claims) as [ActorName, TokenClaims][])
    ({ token: tokens[actor] } = await mail.tokens.mint(claim));
  const owner = tokens.owner!;

  await mail.dovecot.deliver(ana.user, withAttachment);
  const account = (await connectAccount(mail, owner, ana, { teamId: TEAM })).id;
  // Indexed too: the search cases expect the report to be found.
  const messageBySubject = (subject: string) =>
    eventually(
      async () => {
        const [row] = await mail.admin<{ id: string; attachments: { part: string }[] }[]>`
        select id, attachments from email.email_messages
        where account_id = ${account} and subject = ${subject} and indexed_at is not null`;
        return row;
      },
      30_000,
      `message "${subject}"`,
    );
  const report = await messageBySubject('report');
  const ownerApi = async (method: 'POST', url: string, payload: object) => {
    const res = await mail.app.inject({ method, url, headers: bearer(owner), payload });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string };
  };
  const folders = await mail.admin<{ id: string; special_use: string | null }[]>`
    select id, special_use from email.email_folders where account_id = ${account}`;
  context = {
    account,
    inbox: folders.find((f) => f.special_use === 'inbox')!.id,
    junk: folders.find((f) => f.special_use === 'junk')!.id,
    message: report.id,
    attachmentPart: report.attachments[0]!.part,
    draft: '',
    template: '',
    outbound: '',
    async fresh(kind) {
      if (kind === 'account') return (await connectAccount(mail, owner, ana, { teamId: TEAM })).id;
      if (kind === 'draft') return (await ownerApi('POST', '/v1/mail/drafts', draftBody(context))).id;
      if (kind === 'template')
        return (await ownerApi('POST', '/v1/mail/templates', { ...templateBody(), teamId: TEAM })).id;
      if (kind === 'scheduled')
        return (
          await ownerApi('POST', '/v1/mail/send', {
            accountId: account,
            to: ['bo@example.test'],
            subject: 'later',
            text: 'later',
            sendAt: new Date(Date.now() + 3_600_000).toISOString(),
          })
        ).id;
      const subject = `doomed ${randomUUID()}`;
      await mail.dovecot.deliver(ana.user, rawMessage({ subject }));
      await mail.deps.jobs.add('sync-account', { accountId: account }, { jobId: `matrix-${subject}` });
      return (await messageBySubject(subject)).id;
    },
  };
  context.draft = await context.fresh('draft');
  context.template = await context.fresh('template');
  context.outbound = (
    await ownerApi('POST', '/v1/mail/send', {
      accountId: account,
      to: ['bo@example.test'],
      subject: 'hi',
      text: 'x',
    })
  ).id;
}, 120_000);
afterAll(async () => {
  await gateway?.close();
  await mail?.close();
}, 30_000);

describe('email authorization matrix through the gateway', () => {
  it.each(MATRIX)(
    '$route',
    async (row) => {
      const { actual, wanted } = await runMatrixRow({
        gatewayUrl: gateway.url,
        actors: ACTORS,
        tokens,
        context,
        row,
        // The password is in no answer to anyone.
        inspect: ({ text }) => expect(text).not.toContain(ana.password),
      });
      expect(actual).toEqual(wanted);
    },
    60_000,
  );

  it('lists and finds to each caller only the mail they may read', async () => {
    for (const actor of ['teamViewer', 'stranger'] as const) {
      const accounts = (await (
        await fetch(`${gateway.url}/v1/mail/accounts?limit=100`, { headers: bearer(tokens[actor]!) })
      ).json()) as { items: { id: string }[] };
      const found = (await (
        await fetch(`${gateway.url}/v1/mail/search?q=report`, { headers: bearer(tokens[actor]!) })
      ).json()) as { items: unknown[] };
      const sees = actor === 'teamViewer';
      expect(
        accounts.items.some((a) => a.id === context.account),
        actor,
      ).toBe(sees);
      expect(found.items.length > 0, actor).toBe(sees);
    }
  });
});
