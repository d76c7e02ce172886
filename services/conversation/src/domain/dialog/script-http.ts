import { createOutboundHttp, type OutboundHttpOptions, scriptFetch } from '@conduit/outbound-http';

/**
 * A script's GET and POST: public addresses only (unless SCRIPT_HTTP_ALLOW says otherwise). The
 * answer comes back as its JSON when it is JSON, else as text; a non-2xx answer is an error.
 */
export const createScriptHttp = (options: OutboundHttpOptions) => scriptFetch(createOutboundHttp(options));
