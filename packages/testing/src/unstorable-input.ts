/**
 * Feeds every free-text field, JSON field and URL parameter of every operation in an OpenAPI
 * document what Postgres cannot store (U+0000, unpaired surrogates), 10,000-deep JSON and strings
 * one past their declared length, one field at a time in an otherwise valid request, and reports
 * each answer that is not a 4xx problem naming that field. Read from the document, so a new route
 * is covered the day it is declared; a string without a declared maximum is itself a finding.
 */

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are walked generically
type Schema = Record<string, any>;

export interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown> | undefined>;
  components?: { schemas?: Record<string, Schema> };
}

export interface ProbeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ProbeResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface UnstorableInputTarget {
  /** The service's own document (`app.swagger()`, `/openapi.json`) or the gateway's `/docs/json`. */
  document: object;
  send(request: ProbeRequest): Promise<ProbeResponse>;
  /** Sent with every request, e.g. a signed-in caller's Authorization, so probes reach validation. */
  headers?: Record<string, string>;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
}

export interface ProbeReport {
  /** Requests sent. */
  probes: number;
  /** One line per answer that was not a 4xx problem naming the field, and per unbounded string. */
  failures: string[];
}

const DEEP = 10_000;
const deepObject = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;
const deepArray = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
/** Larger than any JSON field may be, yet under the usual 1 MiB body limit. */
const oversizedJson = JSON.stringify({ big: 'x'.repeat(512 * 1024) });
const PLACEHOLDER = '\u0001fuzz-placeholder\u0001';
const EXAMPLE_UUID = '0190d4a0-0000-7000-8000-000000000001';
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Bad JSON values, as JSON text: what each must be refused for. */
const badJson: [label: string, json: string][] = [
  ['10,000-deep object', deepObject],
  ['10,000-deep array', deepArray],
  ['U+0000 in a key', '{"fuzz\\u0000key":1}'],
  ['U+0000 in a value', '{"key":"fuzz\\u0000value"}'],
  ['lone surrogate in a key', '{"fuzz\\ud800key":1}'],
  ['lone surrogate in a value', '{"key":["fuzz\\udfffvalue"]}'],
  ['512 KiB of JSON', oversizedJson],
];

const badText = (max: number | undefined): [label: string, text: string][] => [
  ['U+0000', 'fuzz\u0000text'],
  ['lone surrogate', 'fuzz\ud800text'],
  ...(max === undefined ? [] : [[`${max + 1} characters`, 'x'.repeat(max + 1)] as [string, string]]),
];

interface Leaf {
  path: (string | number)[];
  kind: 'text' | 'json';
  maxLength?: number;
  /** Values to place first where the path crosses a union, so the leaf sits in its own variant. */
  variants: { path: (string | number)[]; value: unknown }[];
}

class SchemaReader {
  constructor(private readonly document: OpenApiDocument) {}

  resolve(schema: Schema | undefined): Schema {
    let current = schema ?? {};
    for (let hops = 0; typeof current.$ref === 'string' && hops < 20; hops++) {
      const name = current.$ref.split('/').pop() as string;
      current = this.document.components?.schemas?.[name] ?? {};
    }
    return current;
  }

  /** The variants a value may take, nulls left out (`anyOf: [X, {type: null}]` is X). */
  variants(schema: Schema | undefined): Schema[] {
    const resolved = this.resolve(schema);
    const choices = resolved.anyOf ?? resolved.oneOf;
    if (!choices) return [resolved];
    return (choices as Schema[])
      .flatMap((choice) => this.variants(choice))
      .filter((choice) => choice.type !== 'null');
  }

  types(schema: Schema): string[] {
    if (Array.isArray(schema.type)) return schema.type;
    if (schema.type) return [schema.type];
    if (schema.properties) return ['object'];
    return [];
  }

  /** Free text: a string that is not an enum, a constant or a uuid / date. */
  isText(schema: Schema): boolean {
    return (
      this.types(schema).includes('string') &&
      schema.enum === undefined &&
      schema.const === undefined &&
      !['uuid', 'date-time', 'date'].includes(schema.format)
    );
  }

  /** Any JSON: no type at all, or an object whose keys are not declared. */
  isJson(schema: Schema): boolean {
    const types = this.types(schema);
    if (types.length === 0) return schema.enum === undefined && schema.const === undefined;
    return types.includes('object') && !schema.properties && schema.additionalProperties !== false;
  }

  /** Every free-text and JSON place in a body schema, with its path. */
  leaves(
    schema: Schema | undefined,
    path: (string | number)[] = [],
    depth = 0,
    within: Leaf['variants'] = [],
  ): Leaf[] {
    if (depth > 12) return [];
    const variants = this.variants(schema);
    return variants.flatMap((variant): Leaf[] => {
      // One of several shapes (a discriminated union): its leaves are probed inside that shape.
      const variantsHere =
        variants.length > 1 ? [...within, { path, value: this.example(variant, depth) }] : within;
      if (this.isJson(variant)) return [{ path, kind: 'json', variants: variantsHere }];
      if (this.isText(variant))
        return [{ path, kind: 'text', maxLength: variant.maxLength, variants: variantsHere }];
      const types = this.types(variant);
      if (types.includes('array')) return this.leaves(variant.items, [...path, 0], depth + 1, variantsHere);
      if (types.includes('object'))
        return Object.entries(variant.properties ?? {}).flatMap(([key, property]) =>
          this.leaves(property as Schema, [...path, key], depth + 1, variantsHere),
        );
      return [];
    });
  }

  /** A value the schema accepts (as far as a schema can say), required properties only. */
  example(schema: Schema | undefined, depth = 0): unknown {
    const variant = this.variants(schema)[0] ?? {};
    if (variant.const !== undefined) return variant.const;
    if (variant.enum) return variant.enum[0];
    if (variant.default !== undefined) return variant.default;
    if (variant.allOf)
      return Object.assign({}, ...variant.allOf.map((part: Schema) => this.example(part, depth + 1)));
    const type = this.types(variant)[0];
    if (type === 'string') return exampleText(variant);
    if (type === 'integer' || type === 'number')
      return typeof variant.minimum === 'number'
        ? variant.minimum
        : typeof variant.exclusiveMinimum === 'number'
          ? variant.exclusiveMinimum + 1
          : 1;
    if (type === 'boolean') return true;
    if (type === 'array')
      return depth > 12
        ? []
        : Array.from({ length: variant.minItems ?? 0 }, () => this.example(variant.items, depth + 1));
    if (type === 'object' && depth <= 12)
      return Object.fromEntries(
        (variant.required ?? []).map((key: string) => [
          key,
          this.example(variant.properties?.[key], depth + 1),
        ]),
      );
    return type === 'object' ? {} : null;
  }
}

function exampleText(schema: Schema): string {
  const candidates: Record<string, string> = {
    uuid: EXAMPLE_UUID,
    email: 'fuzz@example.com',
    'date-time': '2025-01-01T00:00:00.000Z',
    date: '2025-01-01',
    uri: 'https://example.com/',
    url: 'https://example.com/',
  };
  if (candidates[schema.format]) return candidates[schema.format] as string;
  const minimum = Math.max(schema.minLength ?? 1, 1);
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern, 'u');
    const tried = ['fuzz', 'fuzz-text', '0 3 * * *', '1', 'a.b', 'F'.repeat(minimum)];
    const fits = tried.find((text) => pattern.test(text) && text.length >= minimum);
    if (fits) return fits;
  }
  return 'fuzz'.padEnd(minimum, 'z');
}

/** `value` with the place at `path` set to `leaf`, creating what is missing on the way. */
function withLeaf(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (typeof head === 'number') {
    const items = Array.isArray(value) ? [...value] : [];
    items[0] = withLeaf(items[0], rest, leaf);
    return items;
  }
  const object = value !== null && typeof value === 'object' ? { ...(value as object) } : {};
  return { ...object, [head]: withLeaf((object as Record<string, unknown>)[head], rest, leaf) };
}

interface Operation {
  method: string;
  path: string;
  pathParams: Schema[];
  queryParams: Schema[];
  body?: Schema;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item = {}]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => {
      const operation = item[method] as Schema;
      const parameters = (operation.parameters ?? []) as Schema[];
      return {
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((parameter) => parameter.in === 'path'),
        queryParams: parameters.filter((parameter) => parameter.in === 'query'),
        body: operation.requestBody?.content?.['application/json']?.schema,
      };
    }),
  );
}

/** Probes every operation of `target.document`; see the top of this file. */
export async function probeUnstorableInput(target: UnstorableInputTarget): Promise<ProbeReport> {
  const document = target.document as OpenApiDocument;
  const reader = new SchemaReader(document);
  const report: ProbeReport = { probes: 0, failures: [] };
  const probes: (() => Promise<void>)[] = [];

  for (const operation of operationsOf(document)) {
    const label = `${operation.method} ${operation.path}`;
    // URL values are kept encoded: a probe must be able to send bytes no encoder would produce.
    const encodedExample = (parameter: Schema) => [
      parameter.name as string,
      encodeURIComponent(String(reader.example(parameter.schema))),
    ];
    const pathValues = Object.fromEntries(operation.pathParams.map(encodedExample));
    const requiredQuery = Object.fromEntries(
      operation.queryParams.filter((parameter) => parameter.required).map(encodedExample),
    );
    const validBody = operation.body ? reader.example(operation.body) : undefined;

    const probe = (
      what: string,
      field: string,
      change: { path?: Record<string, string>; query?: Record<string, string>; body?: string },
      expect: '4xx' | 'not 5xx' = '4xx',
    ) => {
      const params = { ...pathValues, ...change.path };
      const url =
        operation.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '') +
        queryString({ ...requiredQuery, ...change.query });
      const body = change.body ?? (validBody === undefined ? undefined : JSON.stringify(validBody));
      probes.push(async () => {
        const response = await target.send({
          method: operation.method,
          url,
          headers: {
            ...target.headers,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body,
        });
        const failure = judge(response, field, expect);
        if (failure) report.failures.push(`${label} ${field} (${what}): ${failure}`);
      });
    };

    for (const parameter of [...operation.pathParams, ...operation.queryParams]) {
      const where = parameter.in === 'path' ? 'path' : 'query';
      const schema = reader.variants(parameter.schema)[0] ?? {};
      const maxLength = reader.isText(schema) ? schema.maxLength : undefined;
      if (reader.isText(schema) && maxLength === undefined)
        report.failures.push(`${label} ${where} ${parameter.name}: a string without maxLength`);
      // Every parameter, whatever its type, gets U+0000; text also one character too many.
      const values: [string, string][] = [['U+0000', 'fuzz%00text']];
      if (maxLength !== undefined) values.push([`${maxLength + 1} characters`, 'x'.repeat(maxLength + 1)]);
      for (const [what, value] of values)
        probe(what, parameter.name, { [where]: { [parameter.name]: value } });
      // A URL cannot carry a lone surrogate (WTF-8 here): the router refuses it, the query parser
      // keeps the escape as plain text, which a write would rightly store. A read shows nothing breaks.
      if (operation.method === 'GET') {
        const surrogate = { [where]: { [parameter.name]: 'fuzz%ED%A0%80' } };
        probe('lone surrogate', parameter.name, surrogate, 'not 5xx');
      }
    }

    if (!operation.body) continue;
    for (const leaf of reader.leaves(operation.body)) {
      // A body that is itself text (an uploaded CSV) is named `body` in the problem.
      const field = leaf.path.length ? leaf.path.join('.') : 'body';
      const shaped = leaf.variants.reduce((body, { path, value }) => withLeaf(body, path, value), validBody);
      const placed = JSON.stringify(withLeaf(shaped, leaf.path, PLACEHOLDER));
      const bodyWith = (json: string) => placed.replace(JSON.stringify(PLACEHOLDER), () => json);
      if (leaf.kind === 'json') {
        for (const [what, json] of badJson) probe(what, field, { body: bodyWith(json) });
        continue;
      }
      if (leaf.maxLength === undefined)
        report.failures.push(`${label} body ${field}: a string without maxLength`);
      for (const [what, text] of badText(leaf.maxLength))
        probe(what, field, { body: bodyWith(JSON.stringify(text)) });
    }
    // An undeclared property nested 10,000 deep: refused before anything recurses into it.
    if (validBody !== null && typeof validBody === 'object' && !Array.isArray(validBody)) {
      const body = `${JSON.stringify(validBody).slice(0, -1)}${Object.keys(validBody).length ? ',' : ''}"fuzz":${deepObject}}`;
      probe('10,000-deep undeclared property', 'fuzz', { body });
    }
  }
  report.probes = probes.length;
  const next = async (): Promise<void> => {
    for (let run = probes.shift(); run; run = probes.shift()) await run();
  };
  await Promise.all(Array.from({ length: target.concurrency ?? 4 }, next));
  report.failures.sort();
  return report;
}

/** A query string from values already encoded. */
function queryString(query: Record<string, string>): string {
  const pairs = Object.entries(query).map(([name, value]) => `${encodeURIComponent(name)}=${value}`);
  return pairs.length ? `?${pairs.join('&')}` : '';
}

/** Why an answer is not what a probe expects, if it is not. */
function judge(response: ProbeResponse, field: string, expect: '4xx' | 'not 5xx'): string | undefined {
  const summary = `answered ${response.status}: ${response.body.slice(0, 300)}`;
  if (response.status >= 500) return summary;
  if (expect === 'not 5xx') return undefined;
  if (response.status < 400) return summary;
  if (!response.contentType.includes('application/problem+json')) return `not a problem document, ${summary}`;
  // A body too large for the route is refused before any field is read; every other refusal names it.
  if (response.status === 413) return undefined;
  const name =
    field
      .split('.')
      .filter((part) => !/^\d+$/.test(part))
      .pop() ?? field;
  const problem = JSON.parse(response.body) as { detail?: string; errors?: { path?: string }[] };
  const named = new RegExp(`(^|[.\\s])${name.replace(/[^\w]/g, '\\$&')}([.\\s:]|$)`);
  const texts = [problem.detail ?? '', ...(problem.errors ?? []).map((error) => error.path ?? '')];
  return texts.some((text) => named.test(text)) ? undefined : `the problem does not name ${name}, ${summary}`;
}

/** A sender for a fastify app (or anything with its `inject`), for tests that drive a service in-process. */
export function injectSender(app: {
  inject(options: {
    method: string;
    url: string;
    headers: Record<string, string>;
    payload?: string;
  }): PromiseLike<{ statusCode: number; headers: Record<string, unknown>; body: string }>;
}): UnstorableInputTarget['send'] {
  return async (request) => {
    const response = await app.inject({
      method: request.method,
      url: request.url,
      headers: request.headers,
      payload: request.body,
    });
    return {
      status: response.statusCode,
      contentType: String(response.headers['content-type'] ?? ''),
      body: response.body,
    };
  };
}

/** A sender over HTTP to a listening server (the gateway in front of the cluster). */
export function httpSender(baseUrl: string): UnstorableInputTarget['send'] {
  return async (request) => {
    const response = await fetch(`${baseUrl}${request.url}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: await response.text(),
    };
  };
}
