// Errors with stable codes. Every error Ambit raises on purpose is an AmbitError whose `code`
// never changes meaning once released (see docs/reference/errors.md); retired codes are not reused.

export interface AmbitErrorOptions {
  cause?: unknown;
  /** A short hint for the most common cause, shown after the message. */
  hint?: string;
  /** Structured context for logs (never secrets). */
  details?: Record<string, unknown>;
}

export class AmbitError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: AmbitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AmbitError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** One line for people: `message (hint) [CODE]`. */
  describe(): string {
    return `${this.message}${this.hint ? ` (hint: ${this.hint})` : ''} [${this.code}]`;
  }
}

export function isAmbitError(value: unknown): value is AmbitError {
  return value instanceof AmbitError;
}

/** The message of anything thrown, for logs and error replies. */
export function errorMessage(value: unknown): string {
  if (value instanceof AmbitError) return value.describe();
  if (value instanceof Error) return value.message;
  return String(value);
}
