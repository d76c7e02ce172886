/** What a paged list answers (an `inject` or `fetch` response, reduced to what paging needs). */
export interface PageResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

/**
 * Every item of a list (`?limit=&cursor=` answering `{items, nextCursor}`), read `limit` at a time
 * by passing nextCursor back as given. `get` receives the query to append (`limit=..&cursor=..`).
 * Fails on a page that is not 200, holds more than `limit`, or holds fewer yet promises another
 * page (so it suits lists whose every row the caller may see), and on a cursor that comes again.
 */
export async function walkPages<Item>(
  get: (query: string) => Promise<PageResponse>,
  limit: number,
): Promise<Item[]> {
  const items: Item[] = [];
  const cursors = new Set<string>();
  let cursor: string | null = null;
  do {
    const response = await get(`limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (response.statusCode !== 200)
      throw new Error(`page ${cursors.size + 1} answered ${response.statusCode}: ${response.body}`);
    const page = JSON.parse(response.body) as Page<Item>;
    if (page.items.length > limit || (page.nextCursor !== null && page.items.length !== limit))
      throw new Error(
        `page ${cursors.size + 1} holds ${page.items.length} items of ${limit}: ${response.body}`,
      );
    items.push(...page.items);
    cursor = page.nextCursor;
    if (cursor !== null && cursors.has(cursor)) throw new Error(`the cursor ${cursor} came back again`);
    if (cursor !== null) cursors.add(cursor);
  } while (cursor !== null);
  return items;
}

/**
 * Cursors no list gives out: not base64url, not JSON, not an array, and `real` (one a list gave)
 * with each value swapped for one of another type, so it is well-formed yet tampered.
 */
function badCursors(real: string): string[] {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const key = JSON.parse(Buffer.from(real, 'base64url').toString('utf8')) as unknown[];
  return [
    'not a cursor!',
    Buffer.from('not json').toString('base64url'),
    encode({ after: key }),
    encode([]),
    encode([...key, key[0]]),
    ...key.map((_, i) =>
      encode(key.map((part, j) => (i === j ? (typeof part === 'string' ? 1.5 : 'x') : part))),
    ),
    real.slice(0, -2),
  ];
}

/**
 * Sends a list cursors it never gave out, made from `real` (one it did), through `get` (which
 * receives the query to append, `cursor=..`), and answers each that was not refused with a 400
 * problem+json of code bad_request, with what came back instead: empty when all were.
 */
export async function unrefusedCursors(
  get: (query: string) => Promise<PageResponse>,
  real: string,
): Promise<string[]> {
  const unrefused: string[] = [];
  for (const cursor of badCursors(real)) {
    const response = await get(`cursor=${encodeURIComponent(cursor)}`);
    const refused =
      response.statusCode === 400 &&
      String(response.headers['content-type']).startsWith('application/problem+json') &&
      (JSON.parse(response.body) as { code?: string }).code === 'bad_request';
    if (!refused) unrefused.push(`${cursor} -> ${response.statusCode} ${response.body}`);
  }
  return unrefused;
}
