// SAVE FROM UNSTRUCTURED text, schema (General Bots' AI helpers, issue #19 family 9), the same in
// every host: a model reads the text into one JSON object for the script's JSON Schema, and the
// object is checked against the schema before the script sees it. Hosts differ only in how they
// ask their model (a dialog's session model, a handler's or an automation's owner's).
import { z } from 'zod';
import type { Value } from './values.js';

/** The longest text read, and the largest schema sent. */
export const MAX_UNSTRUCTURED_TEXT = 20_000;
export const MAX_UNSTRUCTURED_SCHEMA_BYTES = 16 * 1024;

const INSTRUCTION = `You extract structured data. Read the user's text and answer with one JSON object that
follows this JSON Schema, and nothing else (no explanation). Leave out what the text does not say,
unless the schema requires it.

JSON Schema:
`;

/** One completion: a system text and the user's text, at temperature 0; answers the model's text. */
export type ExtractionModel = (request: { system: string; text: string }) => Promise<string>;

/** The JSON object in a model's answer: the whole answer, or the part in a ``` fence or braces. */
export function jsonOfAnswer(answer: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(answer)?.[1];
  const candidate = (fenced ?? answer).trim();
  const start = candidate.indexOf('{');
  const end = candidate.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('the model answered no JSON object');
  try {
    return JSON.parse(candidate.slice(start, end + 1));
  } catch {
    throw new Error('the model answered JSON that does not parse');
  }
}

/** A validator from the script's JSON Schema; a schema that cannot be read is the script's error. */
function validatorOf(schema: Value): z.ZodType {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    throw new Error('SAVE FROM UNSTRUCTURED needs a JSON Schema object, e.g. {"type": "object", ...}');
  if (JSON.stringify(schema).length > MAX_UNSTRUCTURED_SCHEMA_BYTES)
    throw new Error(`the schema may be at most ${MAX_UNSTRUCTURED_SCHEMA_BYTES} bytes of JSON`);
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new Error(`the schema is not a JSON Schema this engine reads: ${(error as Error).message}`);
  }
}

/**
 * The host method of SAVE FROM UNSTRUCTURED over `model`. An answer that is not JSON, or does not
 * fit the schema, stops the script saying what was wrong, so nothing unchecked goes on.
 */
export function saveFromUnstructuredWith(model: ExtractionModel) {
  return async (text: string, schema: Value): Promise<unknown> => {
    const validator = validatorOf(schema);
    const answer = await model({
      system: INSTRUCTION + JSON.stringify(schema),
      text: text.slice(0, MAX_UNSTRUCTURED_TEXT),
    });
    const checked = validator.safeParse(jsonOfAnswer(answer));
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'the object';
      throw new Error(
        `the model's answer does not fit the schema: ${where} ${issue?.message ?? 'is invalid'}`,
      );
    }
    return checked.data;
  };
}
