import { DomainError } from '@conduit/errors';
import Papa from 'papaparse';

export interface ConfigEntry {
  key: string;
  value: string;
}

/** Keys that look like credentials: those belong in a provider (encrypted), not in config.csv. */
const SECRET_KEY = /(^|[-_.\s])(key|secret|password|passwd|token|api-?key)$/i;

export const MAX_CONFIG_ENTRIES = 500;

/** Checks entries for what a bot's configuration may hold; throws unprocessable otherwise. */
export function checkEntries(entries: ConfigEntry[]): ConfigEntry[] {
  if (entries.length > MAX_CONFIG_ENTRIES)
    throw new DomainError('unprocessable', `A bot holds at most ${MAX_CONFIG_ENTRIES} settings.`);
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    if (!entry.key || entry.key.length > 200)
      throw new DomainError('unprocessable', `Setting ${index + 1} needs a name of 1 to 200 characters.`);
    if (entry.value.length > 10_000)
      throw new DomainError('unprocessable', `The value of "${entry.key}" is longer than 10000 characters.`);
    if (SECRET_KEY.test(entry.key))
      throw new DomainError(
        'unprocessable',
        `"${entry.key}" looks like a credential; store API keys in a provider (/v1/providers), where they are encrypted.`,
      );
    if (seen.has(entry.key.toLowerCase()))
      throw new DomainError('unprocessable', `"${entry.key}" is set twice.`);
    seen.add(entry.key.toLowerCase());
  }
  return entries;
}

/**
 * Parses a General Bots config.csv: a `name,value` header (any case; also `key,value`) then one
 * setting per row. Blank rows and rows whose name starts with `#` are skipped.
 */
export function parseConfigCsv(text: string): ConfigEntry[] {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' });
  const fatal = parsed.errors.find((e) => e.type === 'Quotes' || e.type === 'Delimiter');
  if (fatal)
    throw new DomainError('unprocessable', `config.csv row ${(fatal.row ?? 0) + 1}: ${fatal.message}.`);
  const rows = parsed.data;
  const header = rows[0]?.map((cell) => cell.trim().toLowerCase());
  if (!header || !['name', 'key'].includes(header[0] ?? '') || header[1] !== 'value')
    throw new DomainError('unprocessable', 'config.csv must start with the header "name,value".');
  const entries: ConfigEntry[] = [];
  for (const [index, row] of rows.slice(1).entries()) {
    const key = (row[0] ?? '').trim();
    if (!key || key.startsWith('#')) continue;
    if (row.length > 2 && row.slice(2).some((cell) => cell.trim() !== ''))
      throw new DomainError(
        'unprocessable',
        `config.csv row ${index + 2} has more than two columns; quote values that contain commas.`,
      );
    entries.push({ key, value: (row[1] ?? '').trim() });
  }
  return checkEntries(entries);
}

export function toConfigCsv(entries: ConfigEntry[]): string {
  return `${Papa.unparse({ fields: ['name', 'value'], data: entries.map((e) => [e.key, e.value]) }, { newline: '\n' })}\n`;
}
