import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// A page whose text Postgres cannot store (U+0000): saving it in a memory fails in the database.
let page: Server;
let pageUrl: string;
let h: ConversationHarness;

beforeAll(async () => {
  page = createServer((_req, res) => res.end('before\u0000after'));
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  h = await startConversationHarness({ env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8' } });
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => page?.close(resolve));
});

describe('script keyword failures', () => {
  it('tell the chat a database step failed, without the SQL behind it', async () => {
    const owner = await h.tokens.mint();
    const bot = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: owner.headers,
      payload: {
        name: 'Saver',
        script: `text = GET "${pageUrl}/"\nSET BOT MEMORY "page", text\nTALK "saved"`,
      },
    });
    expect(bot.statusCode).toBe(201);
    const session = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.json().id}/sessions`,
      headers: owner.headers,
      payload: {},
    });
    expect(session.statusCode).toBeLessThan(500);
    const said = JSON.stringify(session.json());
    expect(said).toMatch(/the data could not be saved or read just now/);
    expect(said).not.toMatch(/insert into|bot_memories|Failed query|invalid byte|unsupported Unicode/i);
    expect(said).not.toContain('"saved"');
  });
});
