import { z } from 'zod';
import { type Embedder, normalise } from './embedder.js';

const response = z.object({
  data: z.array(z.object({ index: z.int(), embedding: z.array(z.number()) })),
});

/** A failure of the embeddings endpoint, worded for the document's error field (never the key). */
export class EmbeddingError extends Error {
  constructor(
    message: string,
    /** Worth retrying later (timeouts, 429, 5xx), as opposed to a bad key or model. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'EmbeddingError';
  }
}

/**
 * An OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, vLLM, LiteLLM, ...), by base URL
 * (e.g. `https://api.openai.com/v1`) and API key. Inputs go in batches; answers are re-ordered by
 * `index` and normalised to unit length.
 */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;

  constructor(
    private readonly options: {
      baseUrl: string;
      model: string;
      apiKey?: string | null | undefined;
      timeoutMs?: number;
      batchSize?: number;
    },
  ) {
    this.id = `openai:${options.baseUrl}:${options.model}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const batchSize = this.options.batchSize ?? 64;
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += batchSize)
      out.push(...(await this.batch(texts.slice(i, i + batchSize))));
    return out;
  }

  private async batch(input: string[]): Promise<number[][]> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/embeddings`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.options.model, input }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new EmbeddingError(`embeddings endpoint unreachable: ${(error as Error).message}`, true);
    }
    if (!res.ok) {
      const retryable = res.status === 429 || res.status >= 500;
      const body = (await res.text().catch(() => '')).slice(0, 200);
      throw new EmbeddingError(`embeddings endpoint answered ${res.status}: ${body}`, retryable);
    }
    const parsed = response.safeParse(await res.json().catch(() => null));
    if (!parsed.success || parsed.data.data.length !== input.length)
      throw new EmbeddingError(
        'embeddings endpoint answered something that is not an embeddings list',
        false,
      );
    const vectors = [...parsed.data.data]
      .sort((a, b) => a.index - b.index)
      .map((d) => normalise(d.embedding));
    const dimension = vectors[0]?.length ?? 0;
    if (dimension === 0 || vectors.some((v) => v.length !== dimension))
      throw new EmbeddingError('embeddings endpoint answered vectors of differing or zero length', false);
    return vectors;
  }
}
