// One domain-changing operation at a time (KUBEVIRT.md §4.2: Sync shares a per-launcher lock with
// every other domain-modifying call). Callers run in arrival order; a failing operation releases
// the lock like a succeeding one. Read-only calls never take it.

export class OperationLock {
  private tail: Promise<void> = Promise.resolve();
  private running: string | undefined;
  private waiting = 0;

  /** The operation holding the lock now, if any (for logs). */
  get holder(): string | undefined {
    return this.running;
  }

  /** How many operations wait behind the holder. */
  get queued(): number {
    return this.waiting;
  }

  run<T>(operation: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.waiting++;
    return previous.then(async () => {
      this.waiting--;
      this.running = operation;
      try {
        return await fn();
      } finally {
        this.running = undefined;
        release();
      }
    });
  }
}
