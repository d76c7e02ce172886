import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** What the figures depend on besides the code. */
export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    /** 1-minute load average when the results were written: well above 0 means something else shared the CPUs. */
    loadAverage: round(loadavg()[0] ?? 0, 2),
  };
}

/** Writes `bench/results/<scenario>.json` (git-ignored) and returns its path. */
export async function writeResults(scenario: string, results: Record<string, unknown>): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const file = `${resultsDir}${scenario}.json`;
  await writeFile(
    file,
    `${JSON.stringify({ scenario, measuredAt: new Date().toISOString(), machine: machine(), ...results }, null, 2)}\n`,
  );
  return file;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** 12345.6 -> "12,346"; 12.345 -> "12.3"; 0.1234 -> "0.123". */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A ratio as "0.42x". */
export const formatRatio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');

/** Rounds for JSON: enough digits to compare runs, not float noise. */
export const round = (value: number, digits = 3) => Number(value.toFixed(digits));
