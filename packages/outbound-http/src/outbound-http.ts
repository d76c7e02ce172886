import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { urlForMessage } from './url-for-message.js';

/**
 * HTTP to addresses a user chose (a script's GET/POST, a knowledge-base URL source) reaches the
 * public internet only. Every address a host name resolves to is checked, and the connection goes
 * to the address that was checked (no second resolution a DNS rebinding could change); redirects
 * are checked again. Private, loopback, link-local, CGNAT, multicast and reserved ranges are
 * refused unless allowed by host name or CIDR.
 */
const forbidden = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  forbidden.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // Unspecified, loopback and the IPv4-compatible ::a.b.c.d (IPv4-mapped ::ffff:a.b.c.d is
  // checked against the IPv4 ranges by BlockList itself).
  ['::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const)
  forbidden.addSubnet(network, prefix, 'ipv6');

/** The URL leads into a refused address range: retrying cannot help. */
export class BlockedAddressError extends Error {}

/** The URL itself is unusable (malformed, not http(s), with credentials, endless redirects). */
export class InvalidUrlError extends Error {}

/** The answer is larger than `maxBytes`: retrying cannot help. */
export class ResponseTooLargeError extends Error {}

export interface OutboundHttpOptions {
  /** Host names and CIDR ranges (or single addresses) allowed even though they are private. */
  allow: string[];
  timeoutMs: number;
  maxBytes: number;
}

function allowList(entries: string[]) {
  const list = new BlockList();
  const hosts = new Set<string>();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) hosts.add(entry.toLowerCase());
    else if (prefix !== undefined) list.addSubnet(address!, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
    else list.addAddress(address!, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { list, hosts };
}

const isForbidden = (address: string, family: number) =>
  forbidden.check(address, family === 6 ? 'ipv6' : 'ipv4');

export interface OutboundResponse {
  status: number;
  contentType: string;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

export type OutboundHttp = ReturnType<typeof createOutboundHttp>;

export type OutboundMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A body sent as it is, with its own content type (SOAP's XML, a file UPLOAD's multipart bytes),
 * where other bodies go as JSON.
 */
export class RawBody {
  constructor(
    readonly text: string | Uint8Array,
    readonly contentType: string,
  ) {}
}

/**
 * The address check of outbound connections, for any protocol (HTTP here; IMAP and SMTP in the
 * email service): resolves a host name and answers the addresses to connect to, refusing any in a
 * private, loopback or link-local range unless `allow` names the host or its range. Connect to an
 * address it answered, never to the name again (a second resolution could be rebound).
 */
export function createAddressCheck(allow: string[]) {
  const allowed = allowList(allow);
  const refuse = (hostname: string, address: string, literal: boolean) =>
    new BlockedAddressError(
      literal
        ? `${hostname} is a private, loopback or link-local address; no private address may be reached from here`
        : `${hostname} resolves to ${address}, a private, loopback or link-local address; no private address may be reached from here`,
    );
  const permitted = (hostname: string, address: string, family: number) =>
    !isForbidden(address, family) ||
    allowed.hosts.has(hostname) ||
    allowed.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  return {
    /** Throws BlockedAddressError for an IP literal in a refused range; true when it is a literal. */
    checkLiteral(hostname: string): boolean {
      const literal = isIP(hostname);
      if (literal && !permitted(hostname, hostname, literal)) throw refuse(hostname, hostname, true);
      return literal !== 0;
    },
    /** Every address the name resolves to, each checked; throws BlockedAddressError or a DNS error. */
    async resolve(rawHostname: string): Promise<{ address: string; family: number }[]> {
      const hostname = rawHostname.replace(/^\[|\]$/g, '').toLowerCase();
      if (this.checkLiteral(hostname)) return [{ address: hostname, family: isIP(hostname) }];
      const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
      if (addresses.length === 0) throw new Error(`${hostname} does not resolve`);
      for (const a of addresses)
        if (!permitted(hostname, a.address, a.family)) throw refuse(hostname, a.address, false);
      return addresses;
    },
  };
}

export type AddressCheck = ReturnType<typeof createAddressCheck>;

export function createOutboundHttp(options: OutboundHttpOptions) {
  const addresses = createAddressCheck(options.allow);

  const checkedLookup =
    (hostname: string): LookupFunction =>
    (_host, opts, callback) => {
      addresses.resolve(hostname).then(
        (resolved) => {
          // Node's connect asks for every address (`all`, to try each in turn) or for one.
          if (opts.all) return callback(null, resolved);
          const first = resolved[0]!;
          callback(null, first.address, first.family);
        },
        (error: Error) => callback(error, '', 4),
      );
    };

  async function perform(
    method: OutboundMethod,
    rawUrl: string,
    data: unknown,
    extraHeaders: Record<string, string>,
    redirects: number,
    secretHeaders: readonly string[] = [],
  ): Promise<OutboundResponse> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new InvalidUrlError(`"${urlForMessage(rawUrl)}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new InvalidUrlError('only http and https URLs are allowed');
    if (url.username || url.password) throw new InvalidUrlError('URLs with credentials are not allowed');
    const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const literal = addresses.checkLiteral(hostname);
    const body =
      method === 'GET' || method === 'HEAD' || (method !== 'POST' && data === undefined)
        ? undefined
        : data instanceof RawBody
          ? data.text
          : JSON.stringify(data ?? null);
    const contentType = data instanceof RawBody ? data.contentType : 'application/json';
    const client = url.protocol === 'https:' ? https : http;
    const result = await new Promise<OutboundResponse & { location?: string }>((resolve, reject) => {
      const request = client.request(
        url,
        {
          method,
          // A fresh connection each time: a pooled socket would skip the address check.
          agent: false,
          lookup: literal ? undefined : checkedLookup(hostname),
          headers: {
            accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
            'user-agent': 'Conduit/1.0',
            ...extraHeaders,
            ...(body !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }
              : {}),
          },
          timeout: options.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > options.maxBytes) {
              // Settle now: the rest of the answer may already be in, and 'end' would follow.
              reject(new ResponseTooLargeError(`the answer is larger than ${options.maxBytes} bytes`));
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType: String(response.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks),
              url: url.toString(),
              ...(response.headers.location ? { location: response.headers.location } : {}),
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
    if (result.status >= 300 && result.status < 400 && result.location) {
      if (redirects === 0) throw new InvalidUrlError('too many redirects');
      // Each hop is checked again: a public URL may not redirect into the private network.
      const next = new URL(result.location, url);
      // A secret goes only where it was sent: a hop to another origin leaves Authorization and the
      // caller's secret headers behind (as fetch does for Authorization).
      const keep =
        next.origin === url.origin
          ? extraHeaders
          : Object.fromEntries(
              Object.entries(extraHeaders).filter(
                ([name]) => !['authorization', ...secretHeaders].includes(name.toLowerCase()),
              ),
            );
      return perform(
        result.status === 303 ? 'GET' : method,
        next.toString(),
        data,
        keep,
        redirects - 1,
        secretHeaders,
      );
    }
    return result;
  }

  return {
    /** A script's GET, or POST of JSON. */
    send: (method: 'GET' | 'POST', rawUrl: string, data?: unknown) => perform(method, rawUrl, data, {}, 3),
    /**
     * Any method, with headers of the caller's (e.g. an Idempotency-Key); `body` goes as JSON when
     * given (never with GET or HEAD).
     */
    request: (options: {
      method: OutboundMethod;
      url: string;
      body?: unknown;
      headers?: Record<string, string>;
      /** Headers (lower-case) that carry a secret: dropped, with Authorization, on a redirect to another origin. */
      secretHeaders?: readonly string[];
    }) =>
      perform(
        options.method,
        options.url,
        options.body,
        options.headers ?? {},
        3,
        options.secretHeaders ?? [],
      ),
  };
}
