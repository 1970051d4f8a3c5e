// DESIGN.md: 0 success, 1 the thing checked failed, 2 usage or input error, 3 the lab is not running.
export const EXIT = { ok: 0, failed: 1, usage: 2, notRunning: 3 } as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
