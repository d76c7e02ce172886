import type { ToolParameters } from '@conduit/basic';

/**
 * Checks call arguments against a tool's parameter schema, the JSON Schema subset PARAM lines
 * produce (types, enum, format email / date, pattern, required, no other properties). Returns the
 * problems, one per argument, empty when the arguments fit.
 */
export function checkArguments(
  schema: ToolParameters,
  args: Record<string, unknown>,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const name of schema.required)
    if (args[name] === undefined || args[name] === null)
      problems.push({ path: name, message: 'is required' });
  for (const [name, value] of Object.entries(args)) {
    const property = schema.properties[name];
    if (!property) {
      problems.push({ path: name, message: 'is not a parameter of this tool' });
      continue;
    }
    if (value === undefined || value === null) continue;
    const fail = (message: string) => problems.push({ path: name, message });
    switch (property.type) {
      case 'string':
        if (typeof value !== 'string') {
          fail('must be text');
          continue;
        }
        if (property.enum && !property.enum.includes(value))
          fail(`must be one of ${property.enum.join(', ')}`);
        if (property.format === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
          fail('must be an email address');
        if (property.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value))
          fail('must be a date as YYYY-MM-DD');
        if (property.pattern && !new RegExp(property.pattern).test(value))
          fail(`must match ${property.pattern}`);
        break;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) fail('must be a number');
        break;
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) fail('must be a whole number');
        break;
      case 'boolean':
        if (typeof value !== 'boolean') fail('must be true or false');
        break;
      case 'array':
        if (!Array.isArray(value)) fail('must be a list');
        break;
      case 'object':
        if (typeof value !== 'object' || Array.isArray(value)) fail('must be an object');
        break;
    }
  }
  return problems;
}
