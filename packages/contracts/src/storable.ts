import { z } from 'zod';

/**
 * The one rule for text and JSON a caller sends: Postgres `text` cannot hold U+0000, `jsonb`
 * refuses it and unpaired UTF-16 surrogates too, and JSON nested deeper than anything needs makes
 * every recursive reader (zod, jsonb input, JSON.stringify) a stack overflow. Whatever breaks the
 * rule is a 400 at the edge, never a 500 at insert. Every free-text field of a route schema is a
 * `storableText`/`readableText`, every JSON field a `storableJson`/`storableJsonObject`, and the
 * service kit applies `unstorablePart` to params, query and body of every request besides.
 */

/** Deepest JSON any request body may nest, whatever its fields declare. */
export const MAX_REQUEST_DEPTH = 64;

export const UNSTORABLE_TEXT = 'must not contain U+0000 or unpaired UTF-16 surrogates';

/** True when Postgres can store `text` as text and inside jsonb. */
export const isStorableText = (text: string) => !text.includes('\0') && text.isWellFormed();

export interface JsonLimits {
  /** Nesting allowed below the value itself (an object of scalars has depth 1). */
  maxDepth: number;
  /** UTF-8 size of the value written as JSON. */
  maxBytes?: number;
}

/** Where a value breaks the rule: its path (keys and indexes from the value) and why. */
export interface Unstorable {
  path: (string | number)[];
  message: string;
}

/**
 * The first place where `value` breaks the rule, if any: a string or key Postgres cannot store,
 * nesting deeper than `maxDepth`. Walks without recursion and stops at the depth limit, so a
 * 10,000-deep document costs no more than a shallow one. Buffers (raw bodies) are not JSON and
 * are left alone.
 */
export function unstorablePart(value: unknown, maxDepth: number): Unstorable | undefined {
  const pending: [value: unknown, path: (string | number)[]][] = [[value, []]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, path] = next;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return { path, message: UNSTORABLE_TEXT };
      continue;
    }
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current)) continue;
    if (path.length >= maxDepth) return { path, message: `must not nest deeper than ${maxDepth} levels` };
    if (Array.isArray(current)) {
      for (const [index, item] of current.entries()) pending.push([item, [...path, index]]);
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      if (!isStorableText(key)) return { path: [...path, key], message: `has a key that ${UNSTORABLE_TEXT}` };
      pending.push([child, [...path, key]]);
    }
  }
  return undefined;
}

const storableCheck = (text: string) => isStorableText(text);

/** Free text Postgres can store, at most `max` characters (`.trim()`, `.min()` chain on). */
export const storableText = (max: number) => z.string().max(max).refine(storableCheck, UNSTORABLE_TEXT);

/** Text people read (names, titles): trimmed, not empty, at most `max` characters, storable. */
export const readableText = (max: number) => storableText(max).trim().min(1);

const sizeOf = (bytes: number) => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`);

function checkJson(value: unknown, limits: JsonLimits, ctx: z.RefinementCtx) {
  const found = unstorablePart(value, limits.maxDepth);
  if (found) {
    ctx.addIssue({ code: 'custom', path: found.path, message: found.message });
    return;
  }
  // Depth is bounded now, so writing it out cannot overflow the stack.
  if (limits.maxBytes !== undefined && Buffer.byteLength(JSON.stringify(value) ?? '') > limits.maxBytes)
    ctx.addIssue({ code: 'custom', message: `must be at most ${sizeOf(limits.maxBytes)} of JSON` });
}

/** Any JSON value (metadata, arguments), bounded in depth and size, with storable keys and strings. */
export const storableJson = (limits: JsonLimits = { maxDepth: 16, maxBytes: 16_384 }) =>
  // z.unknown, not z.json: z.json recurses into the value before any depth check could stop it.
  z.unknown().superRefine((value, ctx) => checkJson(value, limits, ctx));

/** A JSON object (metadata, preferences, settings), bounded and checked like `storableJson`. */
export const storableJsonObject = (limits: JsonLimits = { maxDepth: 16, maxBytes: 16_384 }) =>
  z.record(z.string(), z.unknown()).superRefine((value, ctx) => checkJson(value, limits, ctx));
