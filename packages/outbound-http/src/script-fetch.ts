import type { OutboundHttp, OutboundMethod } from './outbound-http.js';
import { urlForMessage } from './url-for-message.js';

/**
 * A BASIC script's HTTP keywords over a guarded client: the answer comes back as its JSON when it
 * is JSON, else as text; a non-2xx answer is an error naming the URL and status. Shared by every
 * host of scripts (conversation's dialogs, the workflow engine's bot automations).
 */
export function scriptFetch(http: OutboundHttp) {
  return async function fetchForScript(
    method: OutboundMethod,
    url: string,
    data?: unknown,
    extra: {
      /** Headers of the host's, e.g. an Idempotency-Key. */
      headers?: Record<string, string>;
      /** Authorization a connection adds: sent only to this URL, dropped on a redirect elsewhere. */
      secret?: Record<string, string>;
    } = {},
  ): Promise<unknown> {
    const { headers = {}, secret = {} } = extra;
    const result =
      Object.keys(headers).length || Object.keys(secret).length
        ? await http.request({
            method,
            url,
            body: data,
            headers: { ...headers, ...secret },
            secretHeaders: Object.keys(secret),
          })
        : await http.request({ method, url, body: data });
    if (result.status < 200 || result.status >= 300)
      throw new Error(`${urlForMessage(url)} answered HTTP ${result.status}`);
    const text = result.body.toString('utf8');
    if (!/json/i.test(result.contentType)) return text;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
}
