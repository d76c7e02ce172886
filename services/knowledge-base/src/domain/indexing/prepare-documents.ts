import type { SecretBox } from '@conduit/secrets';
import type { kbDocuments, knowledgeBaseSettings } from '../../db/schema.js';
import { type Chunk, chunkText } from '../chunking/chunk-text.js';
import { embedderFor } from '../embeddings/embedder-for-settings.js';
import { extractText } from '../extraction/extract-text.js';
import type { SupportedMediaType } from '../extraction/media-types.js';
import { leadEnd } from './document-fields.js';

export type DocumentRow = typeof kbDocuments.$inferSelect;
export type CollectionSettings = typeof knowledgeBaseSettings.$inferSelect;

/** A document ready to store: its text, where its lead ends, its chunks and their embeddings. */
export interface PreparedDocument {
  document: DocumentRow;
  settings: CollectionSettings;
  text: string;
  lead: number;
  chunks: Chunk[];
  vectors: number[][];
}

/** What each document came to: prepared, or the error that stopped it (extraction, embedding). */
export type Preparation = { prepared: PreparedDocument } | { error: unknown };

/** What the embedder reads of a chunk: the document's name and the chunk's headings lead it. */
const embeddingInput = (document: DocumentRow, chunk: Chunk) =>
  `${document.name}\n${chunk.headingPath.join(' / ')}\n${chunk.content}`;

/**
 * Extracts and chunks each document, then embeds the chunks of all documents of a collection in
 * one call (a remote endpoint then gets full batches instead of one short request per document).
 * When such a call fails, each document of it is embedded alone, so that every document gets the
 * outcome it would have had alone (a retryable error for one does not fail the others).
 */
export async function prepareDocuments(
  items: { document: DocumentRow; settings: CollectionSettings; original: Buffer }[],
  options: { box: SecretBox; embeddingTimeoutMs: number },
): Promise<Preparation[]> {
  const results: Preparation[] = [];
  const chunked: {
    index: number;
    document: DocumentRow;
    settings: CollectionSettings;
    text: string;
    chunks: Chunk[];
  }[] = [];
  for (const [index, { document, settings, original }] of items.entries()) {
    try {
      const text = await extractText(original, document.mediaType as SupportedMediaType);
      const chunks = chunkText(text, { chunkSize: settings.chunkSize, overlap: settings.chunkOverlap });
      chunked.push({ index, document, settings, text, chunks });
    } catch (error) {
      results[index] = { error };
    }
  }
  const byCollection = new Map<string, typeof chunked>();
  for (const item of chunked)
    byCollection.set(item.document.collectionId, [
      ...(byCollection.get(item.document.collectionId) ?? []),
      item,
    ]);
  for (const group of byCollection.values()) {
    const embedder = embedderFor(group[0]!.settings, options.box, options.embeddingTimeoutMs);
    const embed = (members: typeof chunked) =>
      embedder.embed(members.flatMap((m) => m.chunks.map((chunk) => embeddingInput(m.document, chunk))));
    const store = (members: typeof chunked, vectors: number[][]) => {
      let next = 0;
      for (const m of members) {
        results[m.index] = {
          prepared: {
            document: m.document,
            settings: m.settings,
            text: m.text,
            lead: leadEnd(m.text),
            chunks: m.chunks,
            vectors: vectors.slice(next, next + m.chunks.length),
          },
        };
        next += m.chunks.length;
      }
    };
    try {
      store(group, await embed(group));
    } catch (error) {
      if (group.length === 1) {
        results[group[0]!.index] = { error };
        continue;
      }
      for (const member of group) {
        try {
          store([member], await embed([member]));
        } catch (alone) {
          results[member.index] = { error: alone };
        }
      }
    }
  }
  return results;
}
