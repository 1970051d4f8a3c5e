// A Problem is one thing wrong with user input, located precisely. Validators collect every
// problem at once and return them as values; they never throw for bad input.

export interface SourcePosition {
  file: string;
  /** 1-based line and column; 0 when the position is unknown. */
  line: number;
  col: number;
}

export interface Problem extends SourcePosition {
  /** Dotted field path inside the document, e.g. `spec.containers[0].ports[1].containerPort`. */
  path: string;
  message: string;
  code: string;
  severity: 'error' | 'warning';
}

/** `file:line:col field.path: message [CODE]`, the one format used everywhere. */
export function formatProblem(problem: Problem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.col}` : problem.file;
  const path = problem.path ? ` ${problem.path}:` : '';
  const level = problem.severity === 'warning' ? ' warning:' : '';
  return `${where}${level}${path} ${problem.message} [${problem.code}]`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
