import { createOutboundHttp, type OutboundHttpOptions } from '@conduit/outbound-http';

/**
 * A script's GET and POST: public addresses only (unless SCRIPT_HTTP_ALLOW says otherwise). The
 * answer comes back as its JSON when it is JSON, else as text; a non-2xx answer is an error.
 */
export function createScriptHttp(options: OutboundHttpOptions) {
  const http = createOutboundHttp(options);
  return async function fetchForScript(
    method: 'GET' | 'POST',
    url: string,
    data?: unknown,
  ): Promise<unknown> {
    const result = await http.send(method, url, data);
    if (result.status < 200 || result.status >= 300) throw new Error(`${url} answered HTTP ${result.status}`);
    const text = result.body.toString('utf8');
    if (!/json/i.test(result.contentType)) return text;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
}
