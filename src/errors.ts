/**
 * Typed errors. Every error a user can provoke with bad input is a BnncError with a
 * message that names the file (or source), the field and what was expected, so the CLI
 * can print one line and exit non-zero without a stack trace.
 */
export class BnncError extends Error {
  override name = 'BnncError';
}

/** Malformed or inconsistent input: a data file, model file, folding JSON, vector file... */
export class InputError extends BnncError {
  override name = 'InputError';
  constructor(
    readonly source: string,
    readonly field: string,
    readonly expected: string,
    readonly got?: string,
  ) {
    super(`${source}: ${field}: expected ${expected}${got === undefined ? '' : `, got ${got}`}`);
  }
}

/** An external program (verilator, g++, yosys, python3, cocotb...) is missing. */
export class ToolMissingError extends BnncError {
  override name = 'ToolMissingError';
  constructor(
    readonly tool: string,
    readonly installHint: string,
  ) {
    super(`${tool} not found; install it with: ${installHint}`);
  }
}

/** An external program ran and failed. */
export class ToolFailedError extends BnncError {
  override name = 'ToolFailedError';
  constructor(
    readonly tool: string,
    readonly detail: string,
  ) {
    super(`${tool} failed: ${detail}`);
  }
}

/** Verification found the RTL different from the golden model. */
export class MismatchError extends BnncError {
  override name = 'MismatchError';
}

/**
 * An output bnnc cannot or must not write, found before the work or when writing:
 * `<path>: cannot write: <reason>` (src/util/outputs.ts).
 */
export class OutputError extends BnncError {
  override name = 'OutputError';
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`${target}: cannot write: ${reason}`);
  }
}

/** An output refused because writing it would destroy an input (src/util/outputs.ts). */
export class OutputConflictError extends BnncError {
  override name = 'OutputConflictError';
}
