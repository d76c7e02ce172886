import { fileURLToPath } from 'node:url';
import type { RoundSettings } from './measure.js';

/** The whole manual-page corpus: `shared/corpus` beside the repository, or KB_CORPUS. */
export const corpusPath =
  process.env.KB_CORPUS ||
  fileURLToPath(new URL('../../../shared/corpus/manpages.jsonl.gz', import.meta.url));

/** A setting read from the environment, for shorter trial runs (`BENCH_SECONDS=3 pnpm bench`). */
export function numberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0, not "${raw}"`);
  return value;
}

/** How long each contender of a scenario is measured: 10 s in 5 rounds after a 3 s warm-up by default. */
export function roundSettings(): RoundSettings {
  return {
    seconds: numberSetting('BENCH_SECONDS', 10),
    rounds: Math.max(1, Math.round(numberSetting('BENCH_ROUNDS', 5))),
    warmupSeconds: numberSetting('BENCH_WARMUP_SECONDS', 3),
  };
}

/**
 * BENCH_BASELINE_TREE: another checkout of the repository, installed (`git worktree add <dir>
 * <commit> && cd <dir> && pnpm install --offline`), whose services the gateway and conversation
 * scenarios also load in the same run: before / after figures that shared the machine's load.
 */
export function baselineTree(): string | undefined {
  return process.env.BENCH_BASELINE_TREE || undefined;
}

/**
 * BENCH_BASELINE_STACK: another checkout of the repository, installed as for BENCH_BASELINE_TREE,
 * whose whole conversation stack (identity, the knowledge base and its worker, conversation, the
 * gateway) the conversation scenario starts beside this tree's, on a database, bus namespace and
 * Redis prefix of its own, and loads in the same rounds: the before / after of a change that
 * spans services, which swapping conversation alone (BENCH_BASELINE_TREE) cannot run.
 */
export function baselineStackTree(): string | undefined {
  return process.env.BENCH_BASELINE_STACK || undefined;
}
