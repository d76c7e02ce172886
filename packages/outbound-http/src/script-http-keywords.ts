import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { type OutboundHttp, type OutboundMethod, type OutboundResponse, RawBody } from './outbound-http.js';
import { urlForMessage } from './url-for-message.js';

/**
 * The HTTP keywords of a BASIC script (GET, POST, PUT, PATCH, DELETE HTTP, SET HEADER, CLEAR
 * HEADERS, GRAPHQL, SOAP) over a guarded client, the same for every host of scripts. Each request
 * goes through the outbound guard (the WSDL and the SOAP endpoint it names too). Headers a script
 * sets, and a connection's authorization, are sent only to the origin asked and dropped on a
 * redirect elsewhere, as secrets.
 */

export type HttpKeyword = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GRAPHQL' | 'SOAP';

export interface ScriptHttpOptions {
  /** Where SET HEADER keeps its headers (lower-case names); a dialog keeps them in its session. */
  headers?: Record<string, string>;
  /** A connection's authorization for this URL (USE CONNECTION); sent to it only. */
  secretFor?: (url: string) => Record<string, string> | undefined;
  /** Headers the host adds to one request of the keyword (e.g. an Idempotency-Key). */
  headersFor?: (keyword: HttpKeyword) => Record<string, string> | undefined;
}

const MAX_HEADERS = 20;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Headers that describe the connection or the body: the client sets them, never a script. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
]);

/** A name XML allows for an element (the operation, a parameter), without a prefix. */
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,100}$/;
const SOAP_ENVELOPE = 'http://schemas.xmlsoap.org/soap/envelope/';

function answerOf(result: OutboundResponse): unknown {
  const text = result.body.toString('utf8');
  if (!/json/i.test(result.contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

type XmlNode = Record<string, unknown>;
const nodeOf = (value: unknown): XmlNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as XmlNode) : {};

// Names are read without their namespace prefixes; a DTD is refused before parsing (SOAP forbids
// one, and entity expansion is how XML bombs work).
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: true,
  isArray: (name) => ['service', 'port', 'binding', 'operation', 'endpoint'].includes(name),
});

function parseXml(text: string, what: string): XmlNode {
  if (/<!DOCTYPE/i.test(text)) throw new Error(`${what} has a DOCTYPE, which SOAP does not allow`);
  try {
    return nodeOf(xmlParser.parse(text, true));
  } catch (error) {
    throw new Error(`${what} is not XML (${(error as Error).message.split('\n')[0]})`);
  }
}

/** The endpoint, namespace and SOAPAction of one operation of a WSDL 1.1 document. */
function readWsdl(text: string, operation: string) {
  const definitions = nodeOf(parseXml(text, 'the WSDL').definitions);
  const namespace = definitions['@targetNamespace'];
  if (typeof namespace !== 'string') throw new Error('the WSDL has no targetNamespace');
  const endpoint = asList(definitions.service as unknown[])
    .flatMap((service) => asList(nodeOf(service).port as unknown[]))
    .map((port) => nodeOf(nodeOf(port).address)['@location'])
    .find((location): location is string => typeof location === 'string');
  if (!endpoint) throw new Error('the WSDL names no SOAP endpoint (service / port / address)');
  const bound = asList(definitions.binding as unknown[])
    .flatMap((binding) => asList(nodeOf(binding).operation as unknown[]))
    .map(nodeOf)
    .find((op) => op['@name'] === operation);
  const declared = asList(nodeOf(definitions.portType).operation as unknown[]).some(
    (op) => nodeOf(op)['@name'] === operation,
  );
  if (!bound && !declared) throw new Error(`the WSDL has no operation "${operation}"`);
  const action = bound ? nodeOf(asList(bound.operation as unknown[])[0])['@soapAction'] : undefined;
  return { endpoint, namespace, action: typeof action === 'string' ? action : '' };
}

function soapEnvelope(namespace: string, operation: string, params: unknown): string {
  const parameters = nodeOf(params);
  for (const key of Object.keys(parameters))
    if (!XML_NAME.test(key)) throw new Error(`"${key.slice(0, 60)}" cannot name a SOAP parameter`);
  // The parameters take the operation's namespace (element form "qualified", as most services use).
  const body = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@' }).build({
    [operation]: { '@xmlns': namespace, ...parameters },
  });
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_ENVELOPE}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

/** The operation's answer (the Body's element), or the fault as an error. */
function soapAnswer(result: OutboundResponse): unknown {
  const envelope = nodeOf(parseXml(result.body.toString('utf8'), 'the SOAP answer').Envelope);
  const body = nodeOf(envelope.Body);
  const fault = body.Fault;
  if (fault !== undefined) {
    const f = nodeOf(fault);
    const reason =
      f.faultstring ?? nodeOf(nodeOf(f.Reason).Text)['#text'] ?? nodeOf(f.Reason).Text ?? 'a fault';
    throw new Error(`the SOAP service answered a fault: ${String(reason).slice(0, 500)}`);
  }
  if (result.status < 200 || result.status >= 300)
    throw new Error(`${urlForMessage(result.url)} answered HTTP ${result.status}`);
  const [first] = Object.keys(body).filter((key) => !key.startsWith('@'));
  if (first === undefined) throw new Error('the SOAP answer has an empty Body');
  const answer = body[first];
  if (typeof answer !== 'object' || answer === null) return answer;
  // Namespace declarations of the answer are XML plumbing, not data.
  return Object.fromEntries(Object.entries(answer).filter(([key]) => !key.startsWith('@xmlns')));
}

export function scriptHttpKeywords(http: OutboundHttp, options: ScriptHttpOptions = {}) {
  const headers = options.headers ?? {};

  async function call(keyword: HttpKeyword, method: OutboundMethod, url: string, body?: unknown) {
    const secret = { ...headers, ...(options.secretFor?.(url) ?? {}) };
    return http.request({
      method,
      url,
      ...(body === undefined ? {} : { body }),
      headers: { ...(options.headersFor?.(keyword) ?? {}), ...secret },
      secretHeaders: Object.keys(secret).map((name) => name.toLowerCase()),
    });
  }

  async function send(keyword: HttpKeyword, method: OutboundMethod, url: string, body?: unknown) {
    const result = await call(keyword, method, url, body);
    if (result.status < 200 || result.status >= 300)
      throw new Error(`${urlForMessage(url)} answered HTTP ${result.status}`);
    return answerOf(result);
  }

  return {
    httpGet: (url: string) => send('GET', 'GET', url),
    httpPost: (url: string, data: unknown) => send('POST', 'POST', url, data),
    httpPut: (url: string, data: unknown) => send('PUT', 'PUT', url, data),
    httpPatch: (url: string, data: unknown) => send('PATCH', 'PATCH', url, data),
    httpDelete: (url: string) => send('DELETE', 'DELETE', url),

    /** SET HEADER: kept for the script's later requests; refuses what would change the request's framing. */
    async setHeader(name: string, value: string) {
      const key = name.trim().toLowerCase();
      if (!HEADER_NAME.test(key)) throw new Error(`"${name.slice(0, 60)}" is not a header name`);
      if (RESERVED_HEADERS.has(key)) throw new Error(`${name} is set by Conduit, not by a script`);
      if (/[\r\n\0]/.test(value) || value.length > 8000)
        throw new Error(`the value of ${name} has a line break or is longer than 8,000 characters`);
      if (!(key in headers) && Object.keys(headers).length >= MAX_HEADERS)
        throw new Error(`a script sets at most ${MAX_HEADERS} headers; CLEAR HEADERS first`);
      headers[key] = value;
    },
    async clearHeaders() {
      for (const key of Object.keys(headers)) delete headers[key];
    },

    /** GRAPHQL: the answer's `data`; an answer with `errors` and no data is the script's error. */
    async graphql(url: string, query: string, variables: unknown) {
      const result = await call('GRAPHQL', 'POST', url, {
        query,
        ...(variables === null || variables === undefined ? {} : { variables }),
      });
      const answer = nodeOf(answerOf(result));
      const errors = asList(answer.errors as unknown[]);
      if ((answer.data === undefined || answer.data === null) && errors.length > 0)
        throw new Error(`GraphQL answered: ${String(nodeOf(errors[0]).message ?? 'an error').slice(0, 500)}`);
      if (result.status < 200 || result.status >= 300)
        throw new Error(`${urlForMessage(url)} answered HTTP ${result.status}`);
      if (!('data' in answer)) throw new Error(`${urlForMessage(url)} did not answer GraphQL (no "data")`);
      return answer.data;
    },

    /**
     * SOAP: reads the operation's endpoint and SOAPAction from the WSDL, sends the parameters as
     * the operation's elements in a SOAP 1.1 envelope, and answers the operation's answer.
     */
    async soap(wsdl: string, operation: string, params: unknown) {
      if (!XML_NAME.test(operation)) throw new Error(`"${operation.slice(0, 60)}" is not an operation name`);
      // The WSDL is read like a GET (no idempotency key: reading it twice does nothing).
      const described = await call('GET', 'GET', wsdl);
      if (described.status < 200 || described.status >= 300)
        throw new Error(`${urlForMessage(wsdl)} answered HTTP ${described.status}`);
      const { endpoint, namespace, action } = readWsdl(described.body.toString('utf8'), operation);
      const target = new URL(endpoint, described.url).toString();
      const envelope = soapEnvelope(namespace, operation, params ?? {});
      // The WSDL chooses the endpoint, so it may name another origin than the one the script
      // asked: SET HEADER's headers go only to the WSDL's own origin (a connection's secret is
      // checked against the endpoint's URL by secretFor itself).
      const scriptHeaders = new URL(target).origin === new URL(wsdl).origin ? headers : {};
      const secret = { ...scriptHeaders, ...(options.secretFor?.(target) ?? {}) };
      const result = await http.request({
        method: 'POST',
        url: target,
        body: new RawBody(envelope, 'text/xml; charset=utf-8'),
        headers: {
          ...(options.headersFor?.('SOAP') ?? {}),
          ...secret,
          soapaction: `"${action}"`,
        },
        secretHeaders: Object.keys(secret).map((name) => name.toLowerCase()),
      });
      return soapAnswer(result);
    },
  };
}
