import { describe, expect, it } from 'vitest';
import { commandRunnerAvailability, readSandboxSettings } from '../../src/index.js';
import { clampLimits } from '../../src/sandbox-settings.js';

describe('sandbox settings', () => {
  it('defaults to no command runner and the documented ceilings', () => {
    expect(readSandboxSettings({ PATH: '/usr/bin', SANDBOX_RUNNER: '' })).toEqual({
      SANDBOX_RUNNER: 'off',
      SANDBOX_BWRAP_PATH: '/usr/bin/bwrap',
      SANDBOX_PYTHON_PATH: '/usr/bin/python3',
      SANDBOX_BASH_PATH: '/usr/bin/bash',
      SANDBOX_MAX_MEMORY_MB: 256,
      SANDBOX_MAX_TIMEOUT_MS: 30_000,
      SANDBOX_MAX_PROCESSES: 32,
      SANDBOX_MAX_OUTPUT_BYTES: 1_048_576,
      SANDBOX_SCRIPT_MEMORY_MB: 64,
      SANDBOX_SCRIPT_TIMEOUT_MS: 5_000,
      SANDBOX_MAX_CONCURRENT: 4,
      SANDBOX_CONCURRENT_WAIT_MS: 2_000,
      SANDBOX_UID_BASE: 200_000,
    });
  });

  it('fails loudly on a value that would weaken a limit or name an unknown runner', () => {
    expect(() => readSandboxSettings({ SANDBOX_RUNNER: 'docker' })).toThrow();
    expect(() => readSandboxSettings({ SANDBOX_MAX_MEMORY_MB: '-1' })).toThrow();
    expect(() => readSandboxSettings({ SANDBOX_MAX_PROCESSES: 'many' })).toThrow();
  });

  it('clamps what a run asks to the ceilings', () => {
    const settings = readSandboxSettings({ SANDBOX_MAX_MEMORY_MB: '64', SANDBOX_MAX_TIMEOUT_MS: '1000' });
    expect(clampLimits({ memoryMb: 4096, timeoutMs: 60_000 }, settings)).toEqual({
      memoryMb: 64,
      timeoutMs: 1000,
    });
    expect(clampLimits({ memoryMb: 1, timeoutMs: 0 }, settings)).toEqual({ memoryMb: 8, timeoutMs: 1 });
    expect(clampLimits({ memoryMb: Number.NaN, timeoutMs: Number.NaN }, settings)).toEqual({
      memoryMb: 64,
      timeoutMs: 1000,
    });
  });

  it('refuses an interpreter outside /usr, which the sandbox would not contain', () => {
    const settings = readSandboxSettings({
      SANDBOX_RUNNER: 'bubblewrap',
      SANDBOX_PYTHON_PATH: '/opt/python/bin/python3',
    });
    expect(commandRunnerAvailability('python', settings)).toEqual({
      available: false,
      reason:
        'RUN PYTHON is unavailable on this server: /opt/python/bin/python3 is outside /usr, the only host tree in the sandbox',
    });
  });
});
