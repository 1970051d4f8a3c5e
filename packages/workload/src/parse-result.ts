/** Validated user input: the value, or every problem found (never a throw for bad input). */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };
