import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its plugin is the default export's default under ESM interop.
const addFormats =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

/**
 * JSON Schema of integration configs (ajv, draft-07): every error at once, unknown keywords
 * refused (a catalog entry with a typo is an error, not a looser check), formats (uri, email)
 * checked. `writeOnly: true` marks a secret field.
 */
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);

const compiled = new Map<string, ValidateFunction>();

/** The shape a config schema must have: an object whose fields are listed. */
export interface ConfigSchema {
  type: 'object';
  properties: Record<string, { writeOnly?: boolean } & Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
}

/** Compiles a catalog entry's schema once; throws with ajv's message when it is not a valid schema. */
function validatorFor(schema: ConfigSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    if (compiled.size > 200) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, validate);
  }
  return validate;
}

/** A schema a platform admin proposes: undefined when ajv accepts it, else why not. */
export function schemaProblem(schema: unknown): string | undefined {
  if (
    typeof schema !== 'object' ||
    schema === null ||
    (schema as { type?: unknown }).type !== 'object' ||
    typeof (schema as { properties?: unknown }).properties !== 'object'
  )
    return 'a config schema is an object schema ("type": "object") that lists its "properties"';
  try {
    validatorFor(schema as ConfigSchema);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Each failing path of a config (`config.port`) with ajv's message; empty when it is valid. */
export function configErrors(schema: ConfigSchema, config: unknown): { path: string; message: string }[] {
  const validate = validatorFor(schema);
  if (validate(config)) return [];
  return (validate.errors ?? []).map((error: ErrorObject) => {
    const missing =
      error.keyword === 'required' ? `/${(error.params as { missingProperty: string }).missingProperty}` : '';
    const extra =
      error.keyword === 'additionalProperties'
        ? `/${(error.params as { additionalProperty: string }).additionalProperty}`
        : '';
    const pointer = `${error.instancePath}${missing}${extra}`;
    return { path: `config${pointer.replaceAll('/', '.')}`, message: error.message ?? 'is invalid' };
  });
}

/** The names of the secret fields of a schema (`writeOnly: true`). */
export const secretFields = (schema: ConfigSchema): string[] =>
  Object.entries(schema.properties)
    .filter(([, property]) => property.writeOnly === true)
    .map(([name]) => name);

/** What a secret field shows in answers once it is set. */
export const MASK = '********';

/** Splits a config into the part kept in clear and the part sealed. */
export function splitSecrets(schema: ConfigSchema, config: Record<string, unknown>) {
  const secrets = new Set(secretFields(schema));
  const open: Record<string, unknown> = {};
  const sealed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) (secrets.has(name) ? sealed : open)[name] = value;
  return { open, sealed };
}

/** The config as answers show it: each secret field that is set replaced by the mask. */
export function maskedConfig(schema: ConfigSchema, open: Record<string, unknown>, setSecrets: string[]) {
  const masked: Record<string, unknown> = { ...open };
  for (const name of setSecrets) if (name in schema.properties) masked[name] = MASK;
  return masked;
}
