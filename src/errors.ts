// One error type for all of vmpod: a stable code to branch on, the facts that explain it, and the
// cause. Callers never branch on message text (ARCHITECTURE.md, rule 4).

export type Facts = Readonly<Record<string, string | number | boolean | undefined>>;

export class VmpodError extends Error {
  readonly code: string;
  readonly facts: Facts;

  constructor(code: string, message: string, options: { cause?: unknown; facts?: Facts } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VmpodError';
    this.code = code;
    this.facts = options.facts ?? {};
  }
}

/** The error's code if it carries one (VmpodError or a Node system error), else undefined. */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof VmpodError) return err.code;
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return undefined;
}

/** A one-line description of any thrown value, with the chain of causes. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && depth < 5; depth++) {
    if (cur instanceof Error) {
      const code = errorCode(cur);
      parts.push(code ? `${code}: ${cur.message}` : cur.message);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(': caused by: ');
}
