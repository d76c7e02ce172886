import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type/node';

/** What a file's first bytes say it is; what the client claimed is never asked. */
export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** Images a browser may show in place (an app's logo): anything else downloads as an attachment. */
const SHOWN_INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);
export const showsInline = (contentType: string) => SHOWN_INLINE.has(contentType);

/** file-type's own advice: 4100 bytes tell every format it knows. */
const SAMPLE_BYTES = 4100;

/**
 * The first `bytes` of a stream, and a stream of all of it (those bytes, then the rest as it
 * arrives). Read by hand: file-type's own stream wrapper never settles on an empty stream.
 */
async function peek(body: Readable, bytes: number): Promise<{ head: Buffer; whole: Readable }> {
  const source = body[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await source.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value as Uint8Array);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  const whole = Readable.from(
    (async function* () {
      if (head.length > 0) yield head;
      if (done) return;
      for (let next = await source.next(); !next.done; next = await source.next()) yield next.value as Buffer;
    })(),
  );
  return { head, whole };
}

/**
 * Reads the start of `body` and answers the stream to store with the type its bytes have: a PNG
 * is image/png whatever it was called, a file that only claims to be one is
 * application/octet-stream, as is any format the bytes do not give away (text among them).
 */
export async function sniffContentType(body: Readable): Promise<{ stream: Readable; contentType: string }> {
  const { head, whole } = await peek(body, SAMPLE_BYTES);
  const type = head.length === 0 ? undefined : await fileTypeFromBuffer(head);
  return { stream: whole, contentType: type?.mime ?? UNKNOWN_CONTENT_TYPE };
}
