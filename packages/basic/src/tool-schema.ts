// PARAM declarations -> the JSON Schema an LLM function call needs (what basic_tools.parameters stores).
import type { Value } from './values.js';

export interface ParameterSchema {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
  description?: string;
  examples?: Value[];
  enum?: string[];
  format?: string;
  pattern?: string;
}

export interface ToolParameters {
  type: 'object';
  properties: Record<string, ParameterSchema>;
  required: string[];
  additionalProperties: false;
}

export interface ParamDeclaration {
  name: string;
  type: string;
  options: string[] | null;
  example: Value;
  description: string | null;
  optional: boolean;
}

const TYPE_SCHEMAS: Record<string, Omit<ParameterSchema, 'description' | 'examples'>> = {
  STRING: { type: 'string' },
  NUMBER: { type: 'number' },
  MONEY: { type: 'number' },
  INTEGER: { type: 'integer' },
  BOOLEAN: { type: 'boolean' },
  EMAIL: { type: 'string', format: 'email' },
  DATE: { type: 'string', format: 'date' },
  HOUR: { type: 'string', pattern: '^([01]?\\d|2[0-3]):[0-5]\\d$' },
  MOBILE: { type: 'string', pattern: '^\\+?[0-9 ()-]{8,20}$' },
  ZIPCODE: { type: 'string' },
  OBJECT: { type: 'object' },
  LIST: { type: 'array' },
  ARRAY: { type: 'array' },
};

export function toolParameters(params: ParamDeclaration[]): ToolParameters {
  const properties: Record<string, ParameterSchema> = {};
  const required: string[] = [];
  for (const p of params) {
    const schema: ParameterSchema = p.options
      ? { type: 'string', enum: [...p.options] }
      : { ...(TYPE_SCHEMAS[p.type] ?? { type: 'string' }) };
    if (p.description) schema.description = p.description;
    if (p.example !== null) schema.examples = [p.example];
    properties[p.name] = schema;
    if (!p.optional) required.push(p.name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}
