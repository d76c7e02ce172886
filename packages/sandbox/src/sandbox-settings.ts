import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The operator's settings. Python and Bash run only where SANDBOX_RUNNER names a runner; the
 * JavaScript isolate needs nothing outside the process. Per-run limits asked by a caller are
 * clamped to the ceilings here.
 */
export const sandboxSettingsSchema = z.object({
  SANDBOX_RUNNER: z.enum(['off', 'bubblewrap']).default('off'),
  SANDBOX_BWRAP_PATH: z.string().min(1).default('/usr/bin/bwrap'),
  SANDBOX_PYTHON_PATH: z.string().min(1).default('/usr/bin/python3'),
  SANDBOX_BASH_PATH: z.string().min(1).default('/usr/bin/bash'),
  SANDBOX_MAX_MEMORY_MB: positiveInt(256),
  SANDBOX_MAX_TIMEOUT_MS: positiveInt(30_000),
  SANDBOX_MAX_PROCESSES: positiveInt(32),
  SANDBOX_MAX_OUTPUT_BYTES: positiveInt(1_048_576),
  /** What one RUN JAVASCRIPT / PYTHON / BASH of a BASIC script may use (within the ceilings above). */
  SANDBOX_SCRIPT_MEMORY_MB: positiveInt(64),
  SANDBOX_SCRIPT_TIMEOUT_MS: positiveInt(5_000),
  /**
   * RUN JAVASCRIPT isolates at once in this process (each may take SANDBOX_SCRIPT_MEMORY_MB and
   * SANDBOX_SCRIPT_TIMEOUT_MS); a run past them waits up to SANDBOX_CONCURRENT_WAIT_MS for a turn,
   * then is refused, so that many visitors at once cannot take the service's memory.
   */
  SANDBOX_MAX_CONCURRENT: positiveInt(4),
  SANDBOX_CONCURRENT_WAIT_MS: z.coerce.number().int().nonnegative().default(2_000),
  /** Started as root, each Python/Bash run gets a user id of its own from here (base + slot). */
  SANDBOX_UID_BASE: positiveInt(200_000),
});

export type SandboxSettings = z.infer<typeof sandboxSettingsSchema>;

/** Parses the SANDBOX_* variables; a bad value fails loudly rather than weakening a limit. */
export function readSandboxSettings(env: Record<string, string | undefined> = process.env): SandboxSettings {
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key.startsWith('SANDBOX_') && value !== ''),
  );
  return sandboxSettingsSchema.parse(present);
}

export interface RunLimits {
  memoryMb: number;
  timeoutMs: number;
}

/** A limit that is not a number (NaN, undefined from an untyped caller) is the ceiling, never none. */
const within = (asked: number, floor: number, ceiling: number) =>
  Number.isFinite(asked) ? Math.max(floor, Math.min(Math.floor(asked), ceiling)) : ceiling;

export function clampLimits(asked: RunLimits, settings: SandboxSettings): RunLimits {
  return {
    memoryMb: within(asked.memoryMb, 8, settings.SANDBOX_MAX_MEMORY_MB),
    timeoutMs: within(asked.timeoutMs, 1, settings.SANDBOX_MAX_TIMEOUT_MS),
  };
}
