import {
  BlockedAddressError,
  createOutboundHttp,
  InvalidUrlError,
  ResponseTooLargeError,
} from '@conduit/outbound-http';

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

/** Every address, for deployments whose documents live on the private network (URL_FETCH_ALLOW_PRIVATE). */
const EVERYWHERE = ['0.0.0.0/0', '::/0'];

/**
 * GETs a document by URL through the outbound guard (public addresses only unless
 * `allowPrivate`; each redirect checked; the connection pinned to the checked address), the body
 * cut at `limitBytes`. Failures say whether a later retry could help.
 */
export async function fetchUrl(
  raw: string,
  options: { limitBytes: number; timeoutMs: number; allowPrivate: boolean },
): Promise<{ bytes: Buffer; contentType: string | undefined; finalUrl: string }> {
  const http = createOutboundHttp({
    allow: options.allowPrivate ? EVERYWHERE : [],
    timeoutMs: options.timeoutMs,
    maxBytes: options.limitBytes,
  });
  let answer: Awaited<ReturnType<typeof http.send>>;
  try {
    answer = await http.send('GET', raw);
  } catch (error) {
    if (error instanceof BlockedAddressError || error instanceof InvalidUrlError)
      throw new FetchError((error as Error).message, false);
    if (error instanceof ResponseTooLargeError)
      throw new FetchError('the document is larger than the upload limit', false);
    // A network failure or timeout may pass.
    throw new FetchError(`fetching ${raw} failed: ${(error as Error).message}`, true);
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw new FetchError(
      `${answer.url} answered ${answer.status}`,
      answer.status >= 500 || answer.status === 429,
    );
  }
  return { bytes: answer.body, contentType: answer.contentType || undefined, finalUrl: answer.url };
}
