// Every failure a script can cause is a ScriptError with a code from this closed union, so callers
// (the CLI, the conversation service, the workflow engine) can map codes without parsing messages.
export type ErrorCode =
  | 'COMPILE_ERROR'
  | 'TYPE_ERROR'
  | 'DIVISION_BY_ZERO'
  | 'NUMBER_OVERFLOW'
  | 'INDEX_OUT_OF_RANGE'
  | 'ARGUMENT_ERROR'
  | 'MISSING_PARAM'
  | 'INVALID_PARAM'
  | 'MISSING_ANSWER'
  | 'STEP_LIMIT'
  | 'TIME_LIMIT'
  | 'STRING_LIMIT'
  | 'LIST_LIMIT'
  | 'CALL_DEPTH_LIMIT'
  | 'HOST_ERROR'
  | 'HOST_UNAVAILABLE'
  | 'STALE_STATE'
  | 'INVALID_STATE'
  | 'INTERNAL_ERROR';

export interface ScriptErrorInfo {
  line: number;
  column: number;
  message: string;
  code: ErrorCode;
}

export class ScriptError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    public line = 0,
    public column = 0,
  ) {
    super(message);
    this.name = 'ScriptError';
  }

  toInfo(): ScriptErrorInfo {
    return { line: this.line, column: this.column, message: this.message, code: this.code };
  }
}

/**
 * Thrown by a host method when the keyword needs a service the host does not have (the console
 * host throws it for KB, LLM, mail and HTTP). The engine reports it with code HOST_UNAVAILABLE.
 */
export class HostUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostUnavailableError';
  }
}
