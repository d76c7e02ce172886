/**
 * Why a sandboxed run ended without a result. The BASIC host maps each code to a message for the
 * bot author; none of them means the host itself is in trouble.
 */
export type SandboxErrorCode =
  /** The wall-clock or CPU-time limit was reached (also a promise that never settles). */
  | 'timeout'
  /** The heap (JavaScript) or address-space (Python, Bash) limit was reached. */
  | 'memory'
  /** The result, the console or standard output/error grew past the byte cap. */
  | 'output_too_large'
  /** The code threw, did not compile, or exited with a non-zero status. */
  | 'script_error'
  /** Too many runs at once in this process: the run waited its turn, then was refused. */
  | 'busy'
  /** This server cannot run the language (no runner configured, or the runtime is missing). */
  | 'unavailable';

export class SandboxError extends Error {
  override readonly name = 'SandboxError';

  constructor(
    readonly code: SandboxErrorCode,
    message: string,
  ) {
    super(message);
  }
}
