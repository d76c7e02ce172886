import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** The URL cannot be fetched as a document (refused address, error status, too large...). */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

// Addresses a user-given URL must not reach: this service's own network (SSRF).
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::ffff:0:0', 96],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv6');

async function assertPublic(url: URL) {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  for (const { address, family } of addresses)
    if (privateRanges.check(address, family === 6 ? 'ipv6' : 'ipv4'))
      throw new FetchError(`${url.hostname} resolves to a private address; it cannot be fetched`, false);
}

/**
 * GETs a document by URL: http(s) only, redirects followed by hand (each hop checked), private
 * addresses refused unless `allowPrivate`, the body cut at `limitBytes`.
 */
export async function fetchUrl(
  raw: string,
  options: { limitBytes: number; timeoutMs: number; allowPrivate: boolean },
): Promise<{ bytes: Buffer; contentType: string | undefined; finalUrl: string }> {
  let url = new URL(raw);
  for (let hop = 0; hop < 5; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new FetchError('only http and https URLs can be fetched', false);
    if (!options.allowPrivate) await assertPublic(url);
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (error) {
      throw new FetchError(`fetching ${url.origin} failed: ${(error as Error).message}`, true);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      url = new URL(res.headers.get('location')!, url);
      await res.body?.cancel();
      continue;
    }
    if (!res.ok)
      throw new FetchError(`${url.href} answered ${res.status}`, res.status >= 500 || res.status === 429);
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > options.limitBytes)
      throw new FetchError('the document is larger than the upload limit', false);
    const parts: Buffer[] = [];
    let size = 0;
    for await (const part of res.body ?? []) {
      size += (part as Uint8Array).length;
      if (size > options.limitBytes)
        throw new FetchError('the document is larger than the upload limit', false);
      parts.push(Buffer.from(part as Uint8Array));
    }
    return {
      bytes: Buffer.concat(parts),
      contentType: res.headers.get('content-type') ?? undefined,
      finalUrl: url.href,
    };
  }
  throw new FetchError('too many redirects', false);
}
