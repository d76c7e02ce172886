import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedLocally } from '../../src/domain/embeddings/local-embedder.js';
import { OpenAiEmbedder } from '../../src/domain/embeddings/openai-embedder.js';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

// A real HTTP server speaking the OpenAI `/v1/embeddings` protocol (as Ollama and vLLM do). Its
// vectors are 64-dimensional, so the collection's chunks are not comparable with the built-in 256.
const API_KEY = 'sk-test-0123456789abcdef';
const requests: { authorization?: string | undefined; model: string; input: string[] }[] = [];
let server: Server;
let baseUrl: string;
let failNext = 0;

let h: KnowledgeHarness;
let user: { token: string; userId: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url !== '/v1/embeddings' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const parsed = JSON.parse(body) as { model: string; input: string[] };
      requests.push({ authorization: req.headers.authorization, ...parsed });
      if (req.headers.authorization !== `Bearer ${API_KEY}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
        return;
      }
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end('busy');
        return;
      }
      // Answered out of order on purpose: clients must sort by index.
      const data = parsed.input
        .map((text, index) => ({ object: 'embedding', index, embedding: embedLocally(text, 64) }))
        .reverse();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'list', data, model: parsed.model }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  h = await startKnowledgeHarness();
  user = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => server?.close(resolve));
}, 30_000);

describe('an OpenAI-compatible embeddings endpoint', () => {
  it('embeds in order, normalised, with the key as a bearer token', async () => {
    const embedder = new OpenAiEmbedder({ baseUrl, model: 'test-embed', apiKey: API_KEY, batchSize: 2 });
    const vectors = await embedder.embed(['alpha', 'beta', 'gamma']);
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toEqual(embedLocally('alpha', 64).map((x) => expect.closeTo(x, 6)));
    expect(vectors[2]).toEqual(embedLocally('gamma', 64).map((x) => expect.closeTo(x, 6)));
    expect(requests.at(-1)).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      model: 'test-embed',
      input: ['gamma'],
    });
    await expect(
      new OpenAiEmbedder({ baseUrl, model: 'm', apiKey: 'wrong' }).embed(['x']),
    ).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('401'),
    });
  });

  it('indexes and searches a collection with it; the key is sealed at rest and never shown', async () => {
    const collection = await createCollection(h, user.token, {
      name: 'remote embeddings',
      settings: { embedding: { provider: 'openai', baseUrl, model: 'test-embed', apiKey: API_KEY } },
    });
    expect(collection.settings).toMatchObject({
      embedding: { provider: 'openai', baseUrl, model: 'test-embed', hasApiKey: true },
    });
    expect(JSON.stringify(collection)).not.toContain(API_KEY);
    const [row] =
      await h.admin`select embedding_api_key_sealed from knowledge.knowledge_base_settings where collection_id = ${collection.id}`;
    expect(row!.embedding_api_key_sealed).toMatch(/^v1\./);
    expect(row!.embedding_api_key_sealed).not.toContain(API_KEY);

    failNext = 1; // one 503 first: the job retries with backoff
    const document = await addText(h, user.token, collection.id, {
      name: 'otters',
      text: 'Sea otters hold hands while they sleep.',
    });
    const done = await waitForDocument(h, user.token, collection.id, document.id);
    expect(done).toMatchObject({ status: 'indexed', attempts: 2 });
    const [dims] =
      await h.admin`select cardinality(embedding)::int as n from knowledge.kb_chunks where document_id = ${document.id}`;
    expect(dims!.n).toBe(64);

    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collection.id}/search?q=${encodeURIComponent('do otters sleep holding hands')}`,
      headers: bearer(user.token),
    });
    const hit = res.json().hits[0];
    expect(hit).toMatchObject({ documentName: 'otters', textRank: 1, vectorRank: 1 });
    expect(requests.at(-1)!.input).toEqual(['do otters sleep holding hands']);
  });

  it('fails a document for good when the endpoint refuses the key, and keeps it in failed_jobs', async () => {
    const collection = await createCollection(h, user.token, {
      name: 'wrong key',
      settings: { embedding: { provider: 'openai', baseUrl, model: 'test-embed', apiKey: 'sk-wrong' } },
    });
    const document = await addText(h, user.token, collection.id, { name: 'x', text: 'anything at all' });
    const done = await waitForDocument(h, user.token, collection.id, document.id);
    expect(done.status).toBe('failed');
    expect(done.error).toContain('401');
    expect(done.error).not.toContain('sk-wrong');
    await expect
      .poll(
        async () =>
          (
            await h.admin`select count(*)::int as n from knowledge.failed_jobs where payload->>'documentId' = ${document.id}`
          )[0]!.n,
        // Written after the queue has moved the job to failed: a moment after the document says so.
        { timeout: 10_000 },
      )
      .toBe(1);
  });
});
