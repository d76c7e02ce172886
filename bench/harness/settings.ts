/** A setting read from the environment, for shorter trial runs (`BENCH_SECONDS=3 pnpm bench`). */
export function numberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0, not "${raw}"`);
  return value;
}
