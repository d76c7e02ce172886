import { afterAll, beforeAll, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from './fixtures/conversation-harness.js';
let h: ConversationHarness;
beforeAll(async () => { h = await startConversationHarness(); });
afterAll(async () => { await h?.close(); });
it('probe', async () => {
  const u = await h.tokens.mint({ orgId: crypto.randomUUID(), perms: ['bots.read','bots.write','org.manage'] });
  const j = async (method: string, url: string, payload?: unknown, extra: Record<string,string> = {}) => {
    const r = await h.app.inject({ method: method as 'GET', url, headers: { ...u.headers, ...extra }, ...(payload !== undefined ? { payload: payload as string } : {}) });
    return r;
  };
  const bot = (await j('POST', '/v1/bots', { name: 'b' })).json();
  const s = (await j('POST', `/v1/bots/${bot.id}/sessions`, {})).json().session;
  await j('PUT', `/v1/bots/${bot.id}/tools/t`, { script: 'PARAM w AS STRING\nRETURN w' });
  const b64 = (x: string) => Buffer.from(x).toString('base64url');
  const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000));
  const cases: [string, string, unknown?, Record<string,string>?][] = [
    ['GET', `/v1/bots?cursor=${b64('2024-01-01T00:00:00.000Z|' + '-'.repeat(36))}`],
    ['GET', `/v1/bots?cursor=${b64('-271821-04-20T00:00:00.000Z|0190a0a0-0000-7000-8000-000000000000')}`],
    ['GET', `/v1/sessions/${s.id}/messages?cursor=${b64('+275760-09-13T00:00:00.000Z|0190a0a0-0000-7000-8000-000000000000')}`],
    ['POST', '/v1/bots', { name: 'a\u0000b' }],
    ['POST', '/v1/bots', { name: 'a', description: 'x\u0000' }],
    ['POST', '/v1/bots', { name: 'a\ud800' }],
    ['POST', `/v1/sessions/${s.id}/messages`, { text: 'hi\u0000' }],
    ['POST', `/v1/sessions/${s.id}/messages`, { text: 'hi\ud800' }],
    ['GET', '/v1/messages/search?q=%00'],
    ['GET', '/v1/messages/search?q=%ED%A0%80'],
    ['PUT', '/v1/memories/k%00', { value: 1 }],
    ['PUT', '/v1/memories/k', { value: 'a\u0000' }],
    ['PUT', '/v1/memories/k', { value: 'a\ud800' }],
    ['PUT', '/v1/memories/k', { value: { 'a\u0000': 1 } }],
    ['PUT', '/v1/memories/k', { value: deep }],
    ['PUT', `/v1/bots/${bot.id}/config`, { items: [{ key: 'a', value: 'b\u0000' }] }],
    ['PUT', `/v1/bots/${bot.id}/config.csv`, 'name,value\na,b\u0000\n', { 'content-type': 'text/csv' }],
    ['POST', `/v1/sessions/${s.id}/clicks`, { elementId: 'e\u0000' }],
    ['POST', `/v1/sessions/${s.id}/clicks`, { elementId: 'e', metadata: { a: 'x\u0000' } }],
    ['POST', `/v1/sessions/${s.id}/clicks`, { elementId: 'e', timestamp: '0000-01-01T00:00:00Z' }],
    ['POST', `/v1/sessions/${s.id}/clicks`, { elementId: 'e', timestamp: '9999-12-31T23:59:59+14:00' }],
    ['POST', `/v1/sessions/${s.id}/tools/t`, { args: { w: 'x\u0000' } }],
    ['POST', `/v1/bots/${bot.id}/sessions`, { channel: 'c\u0000' }],
    ['POST', '/v1/prompts', { name: 'p', content: 'c\u0000' }],
    ['POST', '/v1/providers', { name: 'p\u0000', baseUrl: 'https://x.example/v1' }],
    ['POST', '/v1/models', { providerId: crypto.randomUUID(), name: 'm', config: { a: 'b\u0000' } }],
    ['PUT', `/v1/bots/${bot.id}/tools/u`, { script: 'RETURN "a\u0000"' }],
    ['POST', '/v1/bots', { name: 'x', script: 'TALK "\u0000"' }],
  ];
  for (const [m, url, p, e] of cases) {
    const r = await j(m, url, p, e);
    console.log(r.statusCode, m, url.slice(0, 60), JSON.stringify(p)?.slice(0, 60), r.statusCode >= 500 ? r.body.slice(0, 200) : '');
  }
});
